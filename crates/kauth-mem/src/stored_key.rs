//! Storage of rate keys in the in-memory limiter: inline when they are
//! short, as login keys of IPv4 clients are, so that finding a key in its
//! shard reads no second allocation.

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};

/// Maximum length of a key stored inline, in bytes. With the length and the
/// variant tag, the inline form fills 48 bytes, and a key
/// `login:<workspace>:ip4:<address>` fits for workspaces of up to 20 bytes.
const INLINE_LEN: usize = 46;

/// A rate key's bytes, inline up to [`INLINE_LEN`] bytes, else on the heap.
///
/// It hashes, compares and borrows as its bytes, so tables holding it are
/// searched with `&[u8]`.
#[derive(Clone, Debug)]
pub(crate) enum StoredKey {
    Inline { len: u8, bytes: [u8; INLINE_LEN] },
    Heap(Box<[u8]>),
}

impl StoredKey {
    fn as_bytes(&self) -> &[u8] {
        match self {
            StoredKey::Inline { len, bytes } => &bytes[..usize::from(*len)],
            StoredKey::Heap(bytes) => bytes,
        }
    }
}

impl From<&[u8]> for StoredKey {
    fn from(key: &[u8]) -> Self {
        if key.len() > INLINE_LEN {
            return StoredKey::Heap(key.into());
        }
        let mut bytes = [0; INLINE_LEN];
        bytes[..key.len()].copy_from_slice(key);
        StoredKey::Inline {
            len: key.len() as u8,
            bytes,
        }
    }
}

impl Borrow<[u8]> for StoredKey {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

// Hash and Eq follow the bytes, as `Borrow<[u8]>` requires.
impl Hash for StoredKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl PartialEq for StoredKey {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for StoredKey {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn short_and_long_keys_round_trip() {
        let short = b"login:acme:ip4:203.0.113.9".as_slice();
        let exact = [b'k'; INLINE_LEN];
        let long = [b'k'; INLINE_LEN + 1];
        for key in [short, exact.as_slice(), long.as_slice(), b"".as_slice()] {
            let stored = StoredKey::from(key);
            assert_eq!(stored.as_bytes(), key);
            let borrowed: &[u8] = stored.borrow();
            assert_eq!(borrowed, key);
        }
        assert!(matches!(StoredKey::from(exact.as_slice()), StoredKey::Inline { .. }));
        assert!(matches!(StoredKey::from(long.as_slice()), StoredKey::Heap(_)));
    }

    #[test]
    fn stored_key_hashes_as_its_bytes() {
        let hasher = hashbrown::DefaultHashBuilder::default();
        let key = b"login:acme:ip4:203.0.113.9".as_slice();
        assert_eq!(hasher.hash_one(StoredKey::from(key)), hasher.hash_one(key));
        let long = [b'x'; 100];
        assert_eq!(
            hasher.hash_one(StoredKey::from(long.as_slice())),
            hasher.hash_one(long.as_slice())
        );
    }

    #[test]
    fn inline_form_fills_48_bytes() {
        assert_eq!(std::mem::size_of::<StoredKey>(), 48);
    }
}
