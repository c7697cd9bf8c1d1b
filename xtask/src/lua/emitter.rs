//! The Lua emitter: the core's [`Lang`] with every operation written out as
//! a Lua statement, so running an algorithm once prints its Lua function.
//!
//! Each value becomes a Lua local. The emitter checks the rules the core
//! states for algorithm code while it writes: a value is used only inside the
//! branch that computed it, variables are declared outside loops, and a
//! function stays under Lua 5.1's limit of 200 locals.

use kauth_core::lang::{Lang, LogRead, LogWrite};

/// Lua 5.1 refuses functions with more active locals than this.
const LUA_MAX_LOCALS: usize = 200;

/// A value: an index into the emitter's table of names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Value(usize);

struct Named {
    name: String,
    /// The scope that declared it; `None` for literals and parameters.
    scope: Option<usize>,
}

/// Writes one Lua function.
pub struct Emitter {
    out: String,
    values: Vec<Named>,
    /// Scopes currently open, innermost last, each with its local count.
    open: Vec<(usize, usize)>,
    next_scope: usize,
    loops: usize,
    next_temp: usize,
    vars: usize,
    max_locals: usize,
}

impl Emitter {
    fn new(params: &[&str]) -> Self {
        let mut emitter = Emitter {
            out: String::new(),
            values: Vec::new(),
            open: vec![(0, params.len())],
            next_scope: 1,
            loops: 0,
            next_temp: 0,
            vars: 0,
            max_locals: params.len(),
        };
        for param in params {
            emitter.values.push(Named {
                name: (*param).to_owned(),
                scope: None,
            });
        }
        emitter
    }

    /// Writes `local function NAME(PARAMS)` whose body `build` emits, given
    /// one value per parameter, and which returns the values `build` returns.
    /// Also returns how many variables the body declared.
    pub fn function<F>(name: &str, params: &[&str], build: F) -> (String, usize)
    where
        F: FnOnce(&mut Emitter, &[Value]) -> Vec<Value>,
    {
        let mut emitter = Emitter::new(params);
        let args: Vec<Value> = (0..params.len()).map(Value).collect();
        let results = build(&mut emitter, &args);
        let returned: Vec<String> = results.iter().map(|value| emitter.name(*value)).collect();
        emitter.line(&format!("return {}", returned.join(", ")));
        assert!(
            emitter.max_locals < LUA_MAX_LOCALS,
            "{name} needs {} Lua locals, above the limit of {LUA_MAX_LOCALS}",
            emitter.max_locals
        );

        let mut text = format!("local function {name}({})\n", params.join(", "));
        text.push_str(&emitter.out);
        text.push_str("end\n");
        (text, emitter.vars)
    }

    /// The Lua text of `value`, checking it is still in scope.
    fn name(&self, value: Value) -> String {
        let named = &self.values[value.0];
        if let Some(scope) = named.scope {
            assert!(
                self.open.iter().any(|(open, _)| *open == scope),
                "{} is used outside the branch that computed it; pass it out through a variable",
                named.name
            );
        }
        named.name.clone()
    }

    fn line(&mut self, text: &str) {
        for _ in 0..self.open.len() {
            self.out.push_str("  ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// Declares a new local holding `expression`.
    fn local(&mut self, prefix: &str, expression: &str) -> Value {
        let name = format!("{prefix}{}", self.next_temp);
        self.next_temp += 1;
        self.line(&format!("local {name} = {expression}"));

        let (scope, locals) = self.open.last_mut().expect("the function scope is always open");
        *locals += 1;
        let scope = *scope;
        let active: usize = self.open.iter().map(|(_, locals)| locals).sum();
        self.max_locals = self.max_locals.max(active);

        self.values.push(Named {
            name,
            scope: Some(scope),
        });
        Value(self.values.len() - 1)
    }

    fn binary(&mut self, a: Value, operator: &str, b: Value) -> Value {
        let expression = format!("{} {operator} {}", self.name(a), self.name(b));
        self.local("t", &expression)
    }

    /// Declares a local holding `initial`, then sets it to `replacement`
    /// when `condition`, given the local's name, holds.
    ///
    /// Scripts spend much of their time in calls: a `math.max` costs several
    /// times the comparison that does the same here (measured with callgrind
    /// on redis-server 7.0).
    fn choose(&mut self, initial: &str, condition: impl FnOnce(&str) -> String, replacement: &str) -> Value {
        let chosen = self.local("t", initial);
        let name = self.name(chosen);
        self.line(&format!("if {} then {name} = {replacement} end", condition(&name)));
        chosen
    }

    fn call(&mut self, function: &str, args: &[Value]) -> Value {
        let args: Vec<String> = args.iter().map(|value| self.name(*value)).collect();
        self.local("t", &format!("{function}({})", args.join(", ")))
    }

    fn block<F: FnOnce(&mut Self)>(&mut self, build: F) {
        self.open.push((self.next_scope, 0));
        self.next_scope += 1;
        build(self);
        self.open.pop();
    }
}

impl Lang for Emitter {
    type Int = Value;
    type Bool = Value;
    type Var = Value;

    fn int(&mut self, value: u64) -> Value {
        assert!(value < 1 << 53, "constant {value} does not fit a Lua number exactly");
        self.values.push(Named {
            name: value.to_string(),
            scope: None,
        });
        Value(self.values.len() - 1)
    }
    fn add(&mut self, a: Value, b: Value) -> Value {
        self.binary(a, "+", b)
    }
    fn sub(&mut self, a: Value, b: Value) -> Value {
        let difference = format!("{} - {}", self.name(a), self.name(b));
        self.choose(&difference, |chosen| format!("{chosen} < 0"), "0")
    }
    fn mul(&mut self, a: Value, b: Value) -> Value {
        self.binary(a, "*", b)
    }
    fn div(&mut self, a: Value, b: Value) -> Value {
        self.call("floor_div", &[a, b])
    }
    fn rem(&mut self, a: Value, b: Value) -> Value {
        let quotient = self.call("floor_div", &[a, b]);
        let expression = format!("{} - {} * {}", self.name(a), self.name(quotient), self.name(b));
        self.local("t", &expression)
    }
    fn min(&mut self, a: Value, b: Value) -> Value {
        let (a, b) = (self.name(a), self.name(b));
        self.choose(&a, |chosen| format!("{b} < {chosen}"), &b)
    }
    fn max(&mut self, a: Value, b: Value) -> Value {
        let (a, b) = (self.name(a), self.name(b));
        self.choose(&a, |chosen| format!("{b} > {chosen}"), &b)
    }
    fn lt(&mut self, a: Value, b: Value) -> Value {
        self.binary(a, "<", b)
    }
    fn le(&mut self, a: Value, b: Value) -> Value {
        self.binary(a, "<=", b)
    }
    fn eq(&mut self, a: Value, b: Value) -> Value {
        self.binary(a, "==", b)
    }
    fn not(&mut self, a: Value) -> Value {
        let expression = format!("not {}", self.name(a));
        self.local("t", &expression)
    }
    fn and_then<F>(&mut self, a: Value, b: F) -> Value
    where
        F: FnOnce(&mut Self) -> Value,
    {
        let result = self.local("t", "false");
        let result_name = self.name(result);
        let condition = self.name(a);
        self.line(&format!("if {condition} then"));
        self.block(|emitter| {
            let value = b(emitter);
            let value = emitter.name(value);
            emitter.line(&format!("{result_name} = {value}"));
        });
        self.line("end");
        result
    }
    fn select(&mut self, condition: Value, a: Value, b: Value) -> Value {
        let otherwise = self.name(b);
        let result = self.local("t", &otherwise);
        let (result_name, condition, a) = (self.name(result), self.name(condition), self.name(a));
        self.line(&format!("if {condition} then {result_name} = {a} end"));
        result
    }
    fn var(&mut self, value: Value) -> Value {
        assert_eq!(self.loops, 0, "variables must be declared outside loops");
        self.vars += 1;
        let value = self.name(value);
        self.local("v", &value)
    }
    fn get(&mut self, var: Value) -> Value {
        // A copy: a later `set` must not change values read before it.
        let name = self.name(var);
        self.local("t", &name)
    }
    fn set(&mut self, var: Value, value: Value) {
        let (var, value) = (self.name(var), self.name(value));
        self.line(&format!("{var} = {value}"));
    }
    fn if_<T, E>(&mut self, condition: Value, then: T, otherwise: E)
    where
        T: FnOnce(&mut Self),
        E: FnOnce(&mut Self),
    {
        let condition = self.name(condition);
        self.line(&format!("if {condition} then"));
        self.block(then);

        let mark = self.out.len();
        self.line("else");
        let before_else = self.out.len();
        self.block(otherwise);
        if self.out.len() == before_else {
            self.out.truncate(mark);
        }
        self.line("end");
    }
    fn while_<C, B>(&mut self, mut condition: C, mut body: B)
    where
        C: FnMut(&mut Self) -> Value,
        B: FnMut(&mut Self),
    {
        self.line("while true do");
        self.loops += 1;
        self.block(|emitter| {
            let holds = condition(emitter);
            let holds = emitter.name(holds);
            emitter.line(&format!("if not {holds} then break end"));
            body(emitter);
        });
        self.loops -= 1;
        self.line("end");
    }
}

// The log is the state's MessagePack array itself, `{tag, clock_ms, total,
// at_ms, cost, at_ms, cost, ...}`, oldest entry first, so that scripts
// neither copy it into other tables nor build a new one to store it.
// `LOG_FIRST` is the Lua index of the oldest entry's time.
const LOG_FIRST: usize = 4;

impl LogRead for Emitter {
    fn log_len(&mut self) -> Value {
        self.local("t", &format!("(#log - {}) / 2", LOG_FIRST - 1))
    }
    fn log_entry(&mut self, index: Value) -> (Value, Value) {
        let index = self.name(index);
        let at_ms = self.local("t", &format!("log[{LOG_FIRST} + 2 * {index}]"));
        let cost = self.local("t", &format!("log[{} + 2 * {index}]", LOG_FIRST + 1));
        (at_ms, cost)
    }
}

impl LogWrite for Emitter {
    fn log_pop_oldest(&mut self) {
        self.line(&format!("table.remove(log, {LOG_FIRST})"));
        self.line(&format!("table.remove(log, {LOG_FIRST})"));
    }
    fn log_push(&mut self, at_ms: Value, cost: Value) {
        let (at_ms, cost) = (self.name(at_ms), self.name(cost));
        self.line(&format!("log[#log + 1] = {at_ms}"));
        self.line(&format!("log[#log + 1] = {cost}"));
    }
    fn log_add_to_newest(&mut self, cost: Value) {
        let cost = self.name(cost);
        self.line(&format!("log[#log] = log[#log] + {cost}"));
    }
}

/// Exact floor division for integers below 2^53: the double quotient can be
/// one off near an integer, so the result is corrected with exact products.
pub const FLOOR_DIV: &str = "\
local floor = math.floor

local function floor_div(a, b)
  local q = floor(a / b)
  if q * b > a then
    q = q - 1
  elseif (q + 1) * b <= a then
    q = q + 1
  end
  return q
end
";
