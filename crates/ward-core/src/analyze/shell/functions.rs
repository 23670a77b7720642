//! Functions defined in the line. A function's body runs where it is called, in
//! the caller's shell, with `$1`… and `"$@"` the call's arguments: in
//! `wipe() { rm -rf "$1"; }; wipe ~` the home directory is deleted, and in
//! `retry() { until "$@"; do sleep 1; done; }; retry cargo test` the command run is
//! `cargo test`. So a body is analysed at each call, with what the call gives it.
//! A function the line defines but never calls is analysed once at the end of the
//! walk, with its arguments unknown, since a later line of the same shell may call it.

use std::rc::Rc;

use brush_parser::ast;

use super::walk::{Scope, Stream, Value, Walker};
use super::words::Arg;

/// The most calls of one function that are analysed with their arguments. Past it
/// the body is analysed once more with its arguments unknown (which marks what
/// depends on them opaque): without a bound, functions calling each other would
/// multiply the work.
const MAX_ANALYSED_CALLS: usize = 16;

/// How deep calls of functions from function bodies are followed. The walk
/// recurses once per call, so a chain of thousands of functions must not be
/// followed to its end; a call past this depth counts as a call of an unknown
/// program, and the function's body is analysed at the end of the walk instead.
const MAX_CALL_DEPTH: usize = 8;

/// The most functions one line keeps for their calls (each command of the line
/// is looked up among them). Past it, a definition's body is analysed where it is
/// defined, with its arguments unknown.
const MAX_FUNCTIONS: usize = 256;

/// The positional parameters bound at a call: `$1` to `$9` (`$0` stays the
/// shell's name; `${10}` and later count as unknown).
const POSITIONAL_NAMES: [&str; 9] = ["1", "2", "3", "4", "5", "6", "7", "8", "9"];

/// A function defined in the line.
#[derive(Debug, Clone)]
pub(super) struct Function {
    name: String,
    definition: Rc<ast::FunctionDefinition>,
    /// The shell code it was defined in (syntax tree locations index into it).
    source: Rc<str>,
    /// The shell state where it was defined: a body analysed without a call sees
    /// what the line had set up to there (shared: a call clones the function).
    scope: Rc<Scope>,
    /// How many of its calls the walk has met.
    calls: usize,
    /// Whether its body was analysed with its arguments unknown.
    analysed_unbound: bool,
}

impl Walker<'_> {
    /// Keeps a function definition for its calls.
    pub(super) fn define_function(&mut self, definition: &ast::FunctionDefinition) {
        let function = Function {
            name: definition.fname.value.clone(),
            definition: Rc::new(definition.clone()),
            source: Rc::from(self.source.as_str()),
            scope: Rc::new(self.scope.clone()),
            calls: 0,
            analysed_unbound: self.functions.len() >= MAX_FUNCTIONS,
        };
        if function.analysed_unbound {
            self.scoped(|walker| walker.run_body(&function, None, &Stream::Inherited));
        } else {
            self.functions.push(function);
        }
    }

    /// If `name` is a function defined in the line, analyses its body for this
    /// call and returns true. A call from inside its own body is not followed (the
    /// caller reports it as a fork bomb).
    pub(super) fn call_function(&mut self, name: &str, args: &[Arg], stdin: &Stream) -> bool {
        if self.defining.len() >= MAX_CALL_DEPTH
            || self.defining.iter().any(|defining| defining == name)
        {
            return false;
        }
        let Some(function) = self
            .functions
            .iter_mut()
            .rev()
            .find(|function| function.name == name)
        else {
            return false;
        };
        function.calls += 1;
        if function.calls > MAX_ANALYSED_CALLS {
            if function.analysed_unbound {
                return true;
            }
            function.analysed_unbound = true;
            let function = function.clone();
            self.run_body(&function, None, stdin);
            return true;
        }
        let function = function.clone();
        self.run_body(&function, Some(args), stdin);
        true
    }

    /// Analyses the bodies of the functions the line never called, each in the
    /// state where it was defined, with its arguments unknown.
    pub(super) fn finish_functions(&mut self) {
        // By index: a body may define further functions.
        let mut index = 0;
        while let Some(function) = self.functions.get_mut(index) {
            index += 1;
            if function.calls > 0 || function.analysed_unbound {
                continue;
            }
            function.analysed_unbound = true;
            let function = function.clone();
            let outer = std::mem::replace(&mut self.scope, Scope::clone(&function.scope));
            self.run_body(&function, None, &Stream::Inherited);
            self.scope = outer;
        }
    }

    /// Walks a function's body in the current shell state (a function runs in its
    /// caller's shell: its `cd` and assignments stay), with the positional
    /// parameters bound to `args` (`None`: unknown) for the time of the body.
    fn run_body(&mut self, function: &Function, args: Option<&[Arg]>, stdin: &Stream) {
        let saved_positional = (
            POSITIONAL_NAMES.map(|name| self.scope.variable(name).cloned()),
            self.scope.positional.take(),
        );
        for (index, name) in POSITIONAL_NAMES.iter().enumerate() {
            let value = match args {
                Some(args) => args.get(index).map_or(Value::Unset, Value::of),
                None => Value::Unknown,
            };
            self.scope.set_variable(name, value);
        }
        self.scope.positional = args.map(<[Arg]>::to_vec);
        self.defining.push(function.name.clone());
        let outer_source = std::mem::replace(&mut self.source, function.source.to_string());

        let ast::FunctionBody(body, redirects) = &function.definition.body;
        let mut stdin = stdin.clone();
        for redirect in redirects.iter().flat_map(|list| &list.0) {
            self.redirect(redirect, &mut stdin);
        }
        self.compound(body, &stdin);

        self.source = outer_source;
        self.defining.pop();
        let (variables, positional) = saved_positional;
        for (name, value) in POSITIONAL_NAMES.iter().zip(variables) {
            match value {
                Some(value) => self.scope.set_variable(name, value),
                None => self.scope.forget_variable(name),
            }
        }
        self.scope.positional = positional;
    }
}
