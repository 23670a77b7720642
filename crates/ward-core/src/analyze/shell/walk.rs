//! The walk over the syntax tree: scopes (variables, the working directory), lists,
//! pipelines, compound commands, redirections, and simple commands up to the point
//! where their program is known. What a program does with its arguments is left to
//! [`super::programs`].

use brush_parser::ast;

use super::super::AnalysisContext;
use super::super::paths::{expand_home, resolve_expanded};
use super::words::{Arg, Origin};
use super::{
    MAX_NESTING, MAX_PARSED_TOKENS, MAX_SOURCE_BYTES, MAX_SYNTAX_LEVELS, STACK_BASE_BYTES,
    STACK_BYTES_PER_LEVEL, Shape, args, exfil, guarded, parse, programs, wrappers,
};
use crate::{Action, CommandInvocation, TargetKind};

/// The most notes one action collects; past it, further reasons are dropped.
const MAX_NOTES: usize = 32;

/// The most unclosed `(` a string may have and still be parsed (brush-parser's time
/// grows ×1.75 per unclosed `(`; 12 cost well under a millisecond).
const MAX_UNCLOSED_PARENTHESES: usize = 12;

/// The longest note kept, in bytes.
const MAX_NOTE_BYTES: usize = 300;

/// The most words of known text given to `xargs` that are analysed as arguments.
const MAX_XARGS_WORDS: usize = 256;

/// A `for` loop over at most this many known values has its body analysed once per
/// value (`for f in src/*.rs` reads `src/*.rs`); longer loops run it once with the
/// variable unknown.
const MAX_LOOP_VALUES: usize = 8;

/// How many `for` loops may be unrolled inside each other (the work multiplies).
const MAX_UNROLLED_LOOPS: usize = 2;

/// The longest value a variable keeps; longer values count as unknown
/// (`A=$A$A` repeated would otherwise grow without bound).
const MAX_VARIABLE_BYTES: usize = 64 * 1024;

/// What a command reads on stdin, or writes on stdout for the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Stream {
    /// Whatever the line as a whole was given: nothing Ward can see.
    Inherited,
    /// Known text: a heredoc, a here-string, the output of `echo`.
    Text(String),
    /// A file (already resolved).
    File(String),
    /// The output of a program that fetches from the network (named).
    Remote(String),
    /// Text decoded from a form nobody reads (`base64 -d`, `xxd -r`): code hidden
    /// from the command line (named).
    Hidden(String),
    /// Anything else, described for notes ("the output of `cat`").
    Unknown(String),
}

impl Stream {
    /// Nothing at all (a command that prints nothing).
    pub(super) fn empty() -> Stream {
        Stream::Text(String::new())
    }

    /// The output of a program Ward does not follow.
    pub(super) fn output_of(program: &str) -> Stream {
        Stream::Unknown(format!("the output of `{program}`"))
    }
}

/// What the line tells about a variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Value {
    /// Assigned this value.
    Set(String),
    /// Unset in the line.
    Unset,
    /// Assigned something only known when the line runs.
    Unknown,
    /// Assigned the output of a network program or of a decoder
    /// (`cmd=$(curl …)`): what it holds is remote or hidden code.
    Tainted(Origin),
}

impl Value {
    /// The value of an expanded assignment.
    pub(super) fn of(arg: &Arg) -> Value {
        if arg.is_literal() && arg.text.len() <= MAX_VARIABLE_BYTES {
            Value::Set(arg.text.clone())
        } else if matches!(arg.origin, Origin::Remote | Origin::Hidden) {
            Value::Tainted(arg.origin)
        } else {
            Value::Unknown
        }
    }
}

/// The shell state analysis tracks; subshells work on a copy.
#[derive(Debug, Clone)]
pub(super) struct Scope {
    /// Where relative paths resolve (changed by `cd`), and the home directory.
    pub(super) context: AnalysisContext,
    /// Whether `context.cwd` is really the directory (false after `cd "$X"`).
    pub(super) cwd_known: bool,
    /// Variables assigned in the line, latest last.
    variables: Vec<(String, Value)>,
    /// The `pushd` stack.
    directories: Vec<String>,
    /// Aliases defined in the line (`alias x='rm -rf'`), latest last. Bash expands
    /// an alias only in lines read after it is defined; Ward assumes the worst and
    /// expands it in the rest of this line too.
    pub(super) aliases: Vec<(String, String)>,
    /// What `"$@"` stands for, when the line tells it: the arguments of a call of a
    /// function defined in the line, or the words after `sh -c CODE NAME`.
    pub(super) positional: Option<Vec<Arg>>,
    /// Indexed arrays assigned in the line, with their elements (`super::arrays`).
    pub(super) arrays: Vec<(String, Vec<Arg>)>,
}

impl Scope {
    pub(super) fn variable(&self, name: &str) -> Option<&Value> {
        self.variables
            .iter()
            .rev()
            .find(|(known, _)| known == name)
            .map(|(_, value)| value)
    }

    pub(super) fn set_variable(&mut self, name: &str, value: Value) {
        self.variables.retain(|(known, _)| known != name);
        self.variables.push((name.to_owned(), value));
    }

    /// Forgets what the line assigned to a variable.
    pub(super) fn forget_variable(&mut self, name: &str) {
        self.variables.retain(|(known, _)| known != name);
    }

    /// Changes the working directory as `cd DIR` would.
    pub(super) fn change_directory(&mut self, directory: &Arg) {
        if directory.is_literal() {
            self.context.cwd = resolve_expanded(&directory.text, &self.context);
            if directory.text.starts_with('/') {
                self.cwd_known = true;
            }
        } else {
            self.cwd_known = false;
        }
    }

    /// `pushd DIR`.
    pub(super) fn push_directory(&mut self, directory: &Arg) {
        let current = if self.cwd_known {
            self.context.cwd.clone()
        } else {
            String::new()
        };
        self.directories.push(current);
        self.change_directory(directory);
    }

    /// `popd`.
    pub(super) fn pop_directory(&mut self) {
        match self.directories.pop() {
            Some(directory) if !directory.is_empty() => {
                self.context.cwd = directory;
                self.cwd_known = true;
            }
            _ => self.cwd_known = false,
        }
    }
}

/// Walks syntax trees, filling one action.
pub(super) struct Walker<'a> {
    pub(super) action: &'a mut Action,
    pub(super) scope: Scope,
    /// How many levels of shell code in strings the walk is in.
    nesting: usize,
    /// How many more words and operators (see [`Shape::tokens`]) this call may
    /// still parse, over all the shell code in it.
    token_budget: usize,
    /// The shell code being walked (syntax tree locations index into it).
    pub(super) source: String,
    /// How many unrolled `for` loops the walk is in.
    unrolled_loops: usize,
    /// The functions whose bodies the walk is in: a body that calls its own
    /// function (`:(){ :|:& };:`) is a fork bomb.
    pub(super) defining: Vec<String>,
    /// The functions defined in the line, analysed where they are called.
    pub(super) functions: Vec<super::functions::Function>,
    /// Whether a redirection opened a socket (`/dev/tcp/HOST/PORT`).
    pub(super) opened_socket: bool,
    /// Files a download wrote (`curl -o FILE`, `wget -O FILE`): running one later in
    /// the line runs code from the network.
    pub(super) downloads: Vec<String>,
    /// Files the line made from credential files, with the credential file
    /// (`cp ~/.ssh/id_rsa /tmp/k`: `/tmp/k` holds the key).
    pub(super) credential_copies: Vec<(String, String)>,
    /// `${NAME:-WORD}` of variables the line does not set, with their plain-word
    /// default: what runs unless the environment sets NAME.
    pub(super) defaults: Vec<(String, String)>,
    /// Where the stdout of the simple command being walked goes (`>`, `>>`:
    /// true), resolved.
    pub(super) stdout_files: Vec<(String, bool)>,
    /// Files the line wrote with known text, and the text.
    pub(super) written: Vec<(String, String)>,
    /// What the shell code walked last prints, when it is one pipeline and the
    /// walk knows (see [`Walker::substitute`]).
    output: Option<Stream>,
    /// Where the targets of the simple command being expanded start: what its
    /// words' substitutions and its redirections read (`curl -d "$(cat .env)"`).
    pub(super) words_targets_from: usize,
    /// Where the commands of those substitutions start (`$(gh auth token)`).
    pub(super) words_commands_from: usize,
}

impl<'a> Walker<'a> {
    pub(super) fn new(context: &AnalysisContext, action: &'a mut Action) -> Walker<'a> {
        Walker {
            action,
            scope: Scope {
                context: context.clone(),
                cwd_known: true,
                variables: Vec::new(),
                aliases: Vec::new(),
                directories: Vec::new(),
                positional: None,
                arrays: Vec::new(),
            },
            nesting: 0,
            token_budget: MAX_PARSED_TOKENS,
            source: String::new(),
            unrolled_loops: 0,
            defining: Vec::new(),
            functions: Vec::new(),
            opened_socket: false,
            downloads: Vec::new(),
            credential_copies: Vec::new(),
            defaults: Vec::new(),
            stdout_files: Vec::new(),
            written: Vec::new(),
            output: None,
            words_targets_from: 0,
            words_commands_from: 0,
        }
    }
}

impl Walker<'_> {
    /// Marks the action opaque, saying why.
    pub(super) fn opaque(&mut self, note: String) {
        self.action.opaque = true;
        // Notes quote the input; a hostile input must not make the record huge.
        let note = if note.len() > MAX_NOTE_BYTES {
            // Keep the head and the tail, which says why.
            let mut end = MAX_NOTE_BYTES / 2;
            while !note.is_char_boundary(end) {
                end -= 1;
            }
            let mut start = note.len() - MAX_NOTE_BYTES / 2;
            while !note.is_char_boundary(start) {
                start += 1;
            }
            format!("{}…{}", &note[..end], &note[start..])
        } else {
            note
        };
        if self.action.notes.len() < MAX_NOTES && !self.action.notes.contains(&note) {
            self.action.notes.push(note);
        }
    }

    /// Runs `walk` on a copy of the scope, as a subshell would.
    pub(super) fn scoped<R>(&mut self, walk: impl FnOnce(&mut Self) -> R) -> R {
        let saved = self.scope.clone();
        let result = walk(self);
        self.scope = saved;
        result
    }

    /// Runs `walk` with the working directory changed to `directory`, if given
    /// (`git -C DIR`, `env -C DIR`, `tar -C DIR`).
    pub(super) fn in_directory<R>(
        &mut self,
        directory: Option<&Arg>,
        walk: impl FnOnce(&mut Self) -> R,
    ) -> R {
        let Some(directory) = directory else {
            return walk(self);
        };
        let saved = (self.scope.context.cwd.clone(), self.scope.cwd_known);
        self.scope.change_directory(directory);
        let result = walk(self);
        (self.scope.context.cwd, self.scope.cwd_known) = saved;
        result
    }

    /// Parses and walks shell code.
    pub(super) fn analyze_source(&mut self, source: &str, stdin: &Stream) {
        if source.len() > MAX_SOURCE_BYTES {
            self.opaque(format!(
                "shell code of {} bytes is too long to analyse (the limit is {MAX_SOURCE_BYTES})",
                source.len()
            ));
            return;
        }
        let shape = Shape::of(source);
        if shape.nul {
            // Bash drops NUL bytes from a script it reads, so `rm -rf /<NUL>` deletes
            // `/`; which words they join is not guessed.
            self.opaque("the shell code contains NUL bytes".to_owned());
            return;
        }
        if shape.open > shape.close + MAX_UNCLOSED_PARENTHESES {
            // brush-parser backtracks exponentially over unclosed `(`.
            self.opaque(format!(
                "shell code with {} unclosed `(` is not parsed",
                shape.open - shape.close
            ));
            return;
        }
        let levels = shape.levels;
        if levels > MAX_SYNTAX_LEVELS {
            self.opaque(format!(
                "shell code with {levels} brackets and compound keywords is too complex to analyse"
            ));
            return;
        }
        let tokens = shape.tokens;
        if tokens > self.token_budget {
            self.opaque(format!(
                "shell code of about {tokens} words and operators is too long to analyse (the \
                 limit is {MAX_PARSED_TOKENS} for a whole call)"
            ));
            return;
        }
        self.token_budget -= tokens;
        // brush-parser recurses once per level: parse on the current stack if it has
        // room for them all, else on a fresh stack segment of this same thread
        // (`stacker`), so that a stack overflow (which aborts the process) cannot
        // happen. A segment costs an `mmap`, not a thread: no new malloc arena, no
        // thread start (a thread per large script cost 1.2 ms of a 3.3 ms heredoc).
        let stack_bytes = levels
            .saturating_mul(STACK_BYTES_PER_LEVEL)
            .saturating_add(STACK_BASE_BYTES);
        let walked = guarded(|| {
            stacker::maybe_grow(stack_bytes, stack_bytes, || {
                self.parse_and_walk(source, stdin);
            });
        });
        if walked.is_none() {
            self.opaque("the shell analysis failed on the command".to_owned());
        }
    }

    fn parse_and_walk(&mut self, source: &str, stdin: &Stream) {
        match parse(source) {
            Ok(program) => {
                let outer = std::mem::replace(&mut self.source, source.to_owned());
                for list in &program.complete_commands {
                    self.compound_list(list, stdin);
                }
                if program.complete_commands.len() != 1 {
                    self.output = None;
                }
                self.source = outer;
            }
            Err(message) => self.opaque(message),
        }
    }

    /// Analyses shell code that runs on another machine (`ssh HOST CMD`) into
    /// `remote`, one nesting level deeper and with none of this shell's state.
    pub(super) fn analyze_elsewhere(&self, source: &str, remote: &mut Action) {
        if self.nesting >= MAX_NESTING {
            remote.opaque = true;
            return;
        }
        let mut walker = Walker::new(&self.scope.context, remote);
        walker.nesting = self.nesting + 1;
        // What is left of this call's budget; the remote walk's use of it is not
        // taken back (this walker is borrowed immutably here), which at most doubles
        // the parse of a remote command string already counted in this one.
        walker.token_budget = self.token_budget;
        walker.scope.context.branch = None;
        walker.analyze_source(source, &Stream::Inherited);
        walker.finish_functions();
    }

    /// Analyses shell code found in a string (`bash -c`, `eval`, a heredoc fed to
    /// `sh`), one level deeper. `what` names it for the note if it is too deep.
    pub(super) fn nested_source(&mut self, source: &str, stdin: &Stream, what: &str) {
        if self.nesting >= MAX_NESTING {
            self.opaque(format!(
                "{what} is nested more than {MAX_NESTING} levels of shell code deep and is not analysed"
            ));
            return;
        }
        self.nesting += 1;
        self.analyze_source(source, stdin);
        self.nesting -= 1;
    }

    /// Walks the code of a command substitution: where its output comes from,
    /// and the output itself when the walk knows it (`$(printf '%s' x)`,
    /// `$(dirname "$PWD")`), without its trailing newlines.
    pub(super) fn substitute(&mut self, code: &str) -> (Origin, Option<String>) {
        let before = self.action.commands.len();
        self.output = None;
        self.scoped(|walker| {
            walker.nested_source(code, &Stream::Inherited, "a command substitution")
        });
        let output = match self.output.take() {
            Some(Stream::Text(text)) => Some(text.trim_end_matches('\n').to_owned()),
            _ => None,
        };
        if self.ran_fetcher_since(before) {
            (Origin::Remote, None)
        } else if self.ran_decoder_since(before) {
            (Origin::Hidden, None)
        } else {
            (Origin::Dynamic, output)
        }
    }

    fn ran_decoder_since(&self, before: usize) -> bool {
        self.action
            .commands
            .get(before..)
            .unwrap_or_default()
            .iter()
            .any(|command| {
                let args: Vec<&str> = command.args.iter().map(String::as_str).collect();
                programs::decodes_words(&command.program, &args)
            })
    }

    fn ran_fetcher_since(&self, before: usize) -> bool {
        self.action
            .commands
            .get(before..)
            .unwrap_or_default()
            .iter()
            .any(|command| programs::is_fetcher(&command.program))
    }

    fn compound_list(&mut self, list: &ast::CompoundList, stdin: &Stream) {
        let mut output = None;
        for ast::CompoundListItem(and_or, separator) in &list.0 {
            if matches!(separator, ast::SeparatorOperator::Async) {
                self.scoped(|walker| walker.and_or(and_or, stdin));
            } else {
                output = self.and_or(and_or, stdin);
            }
        }
        // What the list prints, when it is one pipeline (`$(dirname "$PWD")`).
        self.output = if list.0.len() == 1 { output } else { None };
    }

    /// The output of the list when it is one pipeline, else `None`.
    fn and_or(&mut self, list: &ast::AndOrList, stdin: &Stream) -> Option<Stream> {
        let output = self.pipeline(&list.first, stdin);
        for next in &list.additional {
            let (ast::AndOr::And(pipeline) | ast::AndOr::Or(pipeline)) = next;
            self.pipeline(pipeline, stdin);
        }
        list.additional.is_empty().then_some(output)
    }

    fn pipeline(&mut self, pipeline: &ast::Pipeline, stdin: &Stream) -> Stream {
        let timed = pipeline.timed.is_some();
        if let [command] = pipeline.seq.as_slice() {
            return self.command(command, stdin, timed);
        }
        // Each part of a longer pipeline runs in a subshell.
        let mut input = stdin.clone();
        let mut stages = Vec::with_capacity(pipeline.seq.len());
        for command in &pipeline.seq {
            stages.push((self.action.targets.len(), self.action.commands.len()));
            input = self.scoped(|walker| walker.command(command, &input, timed));
        }
        exfil::check_pipeline(self, &stages);
        input
    }

    fn command(&mut self, command: &ast::Command, stdin: &Stream, timed: bool) -> Stream {
        match command {
            ast::Command::Simple(simple) => self.simple_command(simple, stdin, timed),
            ast::Command::Compound(compound, redirects) => {
                let mut stdin = stdin.clone();
                for redirect in redirects.iter().flat_map(|list| &list.0) {
                    self.redirect(redirect, &mut stdin);
                }
                let before = self.action.commands.len();
                self.compound(compound, &stdin);
                if self.ran_fetcher_since(before) {
                    Stream::Remote("the output of a group that runs a network program".to_owned())
                } else {
                    Stream::Unknown("the output of a compound command".to_owned())
                }
            }
            ast::Command::Function(function) => {
                // The body runs where the function is called (`super::functions`).
                self.define_function(function);
                Stream::empty()
            }
            ast::Command::ExtendedTest(test, redirects) => {
                let mut stdin = stdin.clone();
                for redirect in redirects.iter().flat_map(|list| &list.0) {
                    self.redirect(redirect, &mut stdin);
                }
                self.extended_test(&test.expr);
                Stream::empty()
            }
        }
    }

    pub(super) fn compound(&mut self, compound: &ast::CompoundCommand, stdin: &Stream) {
        match compound {
            ast::CompoundCommand::Arithmetic(arithmetic) => self.arithmetic(arithmetic, stdin),
            ast::CompoundCommand::ArithmeticForClause(clause) => {
                for expression in [&clause.initializer, &clause.condition, &clause.updater]
                    .into_iter()
                    .flatten()
                {
                    self.scan(&expression.value);
                }
                self.compound_list(&clause.body.list, stdin);
            }
            ast::CompoundCommand::BraceGroup(group) => self.compound_list(&group.list, stdin),
            ast::CompoundCommand::Subshell(subshell) => {
                self.scoped(|walker| walker.compound_list(&subshell.list, stdin));
            }
            ast::CompoundCommand::ForClause(clause) => self.for_loop(clause, stdin),
            ast::CompoundCommand::CaseClause(clause) => {
                self.expand_single(&clause.value.value);
                for case in &clause.cases {
                    for pattern in &case.patterns {
                        self.scan(&pattern.value);
                    }
                    if let Some(list) = &case.cmd {
                        self.compound_list(list, stdin);
                    }
                }
            }
            ast::CompoundCommand::IfClause(clause) => {
                self.compound_list(&clause.condition, stdin);
                self.compound_list(&clause.then, stdin);
                for branch in clause.elses.iter().flatten() {
                    if let Some(condition) = &branch.condition {
                        self.compound_list(condition, stdin);
                    }
                    self.compound_list(&branch.body, stdin);
                }
            }
            ast::CompoundCommand::WhileClause(clause)
            | ast::CompoundCommand::UntilClause(clause) => {
                let ast::WhileOrUntilClauseCommand(condition, body, _) = clause;
                self.compound_list(condition, stdin);
                self.compound_list(&body.list, stdin);
            }
            ast::CompoundCommand::Coprocess(coprocess) => {
                self.scoped(|walker| walker.command(&coprocess.body, &Stream::Inherited, false));
            }
        }
    }

    /// `for NAME in WORDS; do BODY; done`.
    fn for_loop(&mut self, clause: &ast::ForClauseCommand, stdin: &Stream) {
        let mut values = Vec::new();
        for word in clause.values.iter().flatten() {
            values.extend(self.expand_fields(&word.value));
        }
        let unroll = clause.values.is_some()
            && !values.is_empty()
            && values.len() <= MAX_LOOP_VALUES
            && values.iter().all(Arg::is_literal)
            && self.unrolled_loops < MAX_UNROLLED_LOOPS;
        if !unroll {
            self.scope
                .set_variable(&clause.variable_name, Value::Unknown);
            self.compound_list(&clause.body.list, stdin);
            return;
        }
        self.unrolled_loops += 1;
        for value in values {
            self.scope
                .set_variable(&clause.variable_name, Value::Set(value.text));
            self.compound_list(&clause.body.list, stdin);
        }
        self.unrolled_loops -= 1;
    }

    /// `(( EXPR ))`. The parser also reads `( (cmd) )` this way, which bash runs as
    /// two subshells: without adjacent parentheses, the inside is analysed as code.
    fn arithmetic(&mut self, arithmetic: &ast::ArithmeticCommand, stdin: &Stream) {
        let start = arithmetic.loc.start.index;
        let end = arithmetic.loc.end.index;
        let mut chars = self.source.char_indices().skip(start);
        let adjacent = matches!(
            (chars.next(), chars.next()),
            (Some((_, '(')), Some((_, '(')))
        );
        let inner = || {
            let mut indices = self.source.char_indices().map(|(at, _)| at);
            let from = indices.nth(start + 1)?;
            let to = indices.nth(end.checked_sub(start + 3)?)?;
            self.source.get(from..to).map(str::to_owned)
        };
        match inner() {
            Some(code) if !adjacent => self.nested_source(&code, stdin, "a subshell"),
            _ => self.scan(&arithmetic.expr.value),
        }
    }

    fn extended_test(&mut self, expression: &ast::ExtendedTestExpr) {
        match expression {
            ast::ExtendedTestExpr::And(left, right) | ast::ExtendedTestExpr::Or(left, right) => {
                self.extended_test(left);
                self.extended_test(right);
            }
            ast::ExtendedTestExpr::Not(inner) | ast::ExtendedTestExpr::Parenthesized(inner) => {
                self.extended_test(inner);
            }
            ast::ExtendedTestExpr::UnaryTest(_, word) => self.scan(&word.value),
            ast::ExtendedTestExpr::BinaryTest(_, left, right) => {
                self.scan(&left.value);
                self.scan(&right.value);
            }
        }
    }

    fn simple_command(
        &mut self,
        command: &ast::SimpleCommand,
        stdin: &Stream,
        timed: bool,
    ) -> Stream {
        let outer_words_from =
            std::mem::replace(&mut self.words_targets_from, self.action.targets.len());
        let outer_commands_from =
            std::mem::replace(&mut self.words_commands_from, self.action.commands.len());
        let outer_stdout_files = std::mem::take(&mut self.stdout_files);
        let output = self.simple_command_words(command, stdin, timed);
        self.note_written(&output);
        exfil::note_copies(self, self.words_targets_from);
        self.stdout_files = outer_stdout_files;
        self.words_targets_from = outer_words_from;
        self.words_commands_from = outer_commands_from;
        output
    }

    fn simple_command_words(
        &mut self,
        command: &ast::SimpleCommand,
        stdin: &Stream,
        timed: bool,
    ) -> Stream {
        // As in POSIX: the command's words are expanded first, then the
        // assignments before it, left to right.
        let mut stdin = stdin.clone();
        let mut argv: Vec<Arg> = Vec::new();
        let mut declared = Vec::new();
        if let Some(word) = &command.word_or_name {
            argv.extend(self.expand_fields(&word.value));
        }
        for item in command.suffix.iter().flat_map(|suffix| &suffix.0) {
            if let ast::CommandPrefixOrSuffixItem::AssignmentWord(assignment, _) = item {
                // An argument that looks like an assignment (`export A=b`, `dd of=x`).
                let (name, value) = self.assignment(assignment);
                declared.push((name.clone(), Value::of(&value)));
                argv.push(Arg {
                    text: format!("{name}={}", value.text),
                    origin: value.origin,
                });
            } else {
                self.word_item(item, &mut argv, &mut stdin);
            }
        }
        // Assignments before a program only hold for it (its environment), so the
        // variables are restored after it; `X=/tmp bash -c 'rm -r $X'` still sees X.
        let outer_variables =
            (!argv.is_empty() && command.prefix.is_some()).then(|| self.scope.variables.clone());
        let mut prefix_argv = Vec::new();
        for item in command.prefix.iter().flat_map(|prefix| &prefix.0) {
            if let ast::CommandPrefixOrSuffixItem::AssignmentWord(assignment, _) = item {
                let (name, value) = self.assignment(assignment);
                self.scope.set_variable(&name, Value::of(&value));
            } else {
                self.word_item(item, &mut prefix_argv, &mut stdin);
            }
        }
        if !prefix_argv.is_empty() {
            prefix_argv.append(&mut argv);
            argv = prefix_argv;
        }
        if argv.is_empty() {
            return Stream::empty();
        }
        let declares = argv.first().is_some_and(|first| {
            first.is_literal()
                && matches!(
                    first.text.as_str(),
                    "export" | "declare" | "typeset" | "local" | "readonly"
                )
        });
        let wrappers = if timed {
            vec!["time".to_owned()]
        } else {
            Vec::new()
        };
        let output = self.invoke(argv, &stdin, wrappers);
        if let Some(variables) = outer_variables {
            self.scope.variables = variables;
        }
        if declares {
            for (name, value) in declared {
                self.scope.set_variable(&name, value);
            }
        }
        output
    }

    /// The name and expanded value of an assignment.
    fn assignment(&mut self, assignment: &ast::Assignment) -> (String, Arg) {
        let name = match &assignment.name {
            ast::AssignmentName::VariableName(name) => name.clone(),
            ast::AssignmentName::ArrayElementName(name, index) => format!("{name}[{index}]"),
        };
        let mut value = match &assignment.value {
            ast::AssignmentValue::Scalar(word) => {
                let array = match &assignment.name {
                    ast::AssignmentName::VariableName(name)
                    | ast::AssignmentName::ArrayElementName(name, _) => name,
                };
                self.scope.forget_array(array);
                self.expand_single(&word.value)
            }
            ast::AssignmentValue::Array(items) => {
                let mut elements = Some(Vec::new());
                for (key, item) in items {
                    if let Some(key) = key {
                        self.scan(&key.value);
                        elements = None;
                    }
                    let fields = self.expand_fields(&item.value);
                    if let Some(elements) = elements.as_mut() {
                        elements.extend(fields);
                    }
                }
                if let ast::AssignmentName::VariableName(name) = &assignment.name {
                    self.scope.assign_array(name, elements, assignment.append);
                }
                Arg {
                    text: "(…)".to_owned(),
                    origin: Origin::Dynamic,
                }
            }
        };
        if assignment.append {
            value.origin = Origin::Dynamic;
        }
        (name, value)
    }

    fn word_item(
        &mut self,
        item: &ast::CommandPrefixOrSuffixItem,
        argv: &mut Vec<Arg>,
        stdin: &mut Stream,
    ) {
        match item {
            ast::CommandPrefixOrSuffixItem::IoRedirect(redirect) => self.redirect(redirect, stdin),
            ast::CommandPrefixOrSuffixItem::Word(word) => {
                argv.extend(self.expand_fields(&word.value))
            }
            ast::CommandPrefixOrSuffixItem::ProcessSubstitution(kind, subshell) => {
                let remote = self.process_substitution(subshell);
                let text = match kind {
                    ast::ProcessSubstitutionKind::Read => "<(…)",
                    ast::ProcessSubstitutionKind::Write => ">(…)",
                };
                argv.push(Arg {
                    text: text.to_owned(),
                    origin: Origin::Pipe { remote },
                });
            }
            ast::CommandPrefixOrSuffixItem::AssignmentWord(..) => {}
        }
    }

    /// Analyses a process substitution; true if it runs a network program.
    fn process_substitution(&mut self, subshell: &ast::SubshellCommand) -> bool {
        let before = self.action.commands.len();
        self.scoped(|walker| walker.compound_list(&subshell.list, &Stream::Inherited));
        self.ran_fetcher_since(before)
    }

    pub(super) fn redirect(&mut self, redirect: &ast::IoRedirect, stdin: &mut Stream) {
        let reads_stdin = |fd: &Option<ast::IoFd>| matches!(fd, None | Some(0));
        match redirect {
            ast::IoRedirect::File(fd, kind, target) => match target {
                ast::IoFileRedirectTarget::Filename(word) => {
                    let file = self.expand_single(&word.value);
                    if is_stream_device(&file.text) {
                        return;
                    }
                    if let Some(address) = socket_address(&file) {
                        self.opened_socket = true;
                        self.add_network(&address, "a /dev/tcp redirection");
                        return;
                    }
                    match kind {
                        ast::IoFileRedirectKind::Read => {
                            self.add_path(&file, TargetKind::Read, "<");
                            if reads_stdin(fd) {
                                *stdin = if file.is_literal() {
                                    Stream::File(resolve_expanded(&file.text, &self.scope.context))
                                } else {
                                    Stream::Unknown(format!("the file `{}`", file.text))
                                };
                            }
                        }
                        ast::IoFileRedirectKind::ReadAndWrite => {
                            self.add_path(&file, TargetKind::Read, "<>");
                            self.add_path(&file, TargetKind::Write, "<>");
                        }
                        _ => {
                            self.add_path(&file, TargetKind::Write, ">");
                            if matches!(fd, None | Some(1)) {
                                let append = matches!(kind, ast::IoFileRedirectKind::Append);
                                self.note_stdout_file(&file, append);
                            }
                        }
                    }
                }
                ast::IoFileRedirectTarget::Duplicate(word) => {
                    // `>&file` sends stdout and stderr to a file; `>&2`, `>&-` only
                    // duplicate or close descriptors.
                    let file = self.expand_single(&word.value);
                    if let Some(address) = socket_address(&file) {
                        self.opened_socket = true;
                        self.add_network(&address, "a /dev/tcp redirection");
                        return;
                    }
                    let descriptor = file.text.trim_end_matches('-');
                    let is_descriptor = descriptor.bytes().all(|byte| byte.is_ascii_digit());
                    if matches!(kind, ast::IoFileRedirectKind::DuplicateOutput)
                        && !is_descriptor
                        && !is_stream_device(&file.text)
                    {
                        self.add_path(&file, TargetKind::Write, ">&");
                    }
                }
                ast::IoFileRedirectTarget::Fd(_) => {}
                ast::IoFileRedirectTarget::ProcessSubstitution(_, subshell) => {
                    let remote = self.process_substitution(subshell);
                    if reads_stdin(fd) && matches!(kind, ast::IoFileRedirectKind::Read) {
                        *stdin = if remote {
                            Stream::Remote("a process substitution".to_owned())
                        } else {
                            Stream::Unknown("a process substitution".to_owned())
                        };
                    }
                }
            },
            ast::IoRedirect::OutputAndError(word, _) => {
                let file = self.expand_single(&word.value);
                if let Some(address) = socket_address(&file) {
                    self.opened_socket = true;
                    self.add_network(&address, "a /dev/tcp redirection");
                } else if !is_stream_device(&file.text) {
                    self.add_path(&file, TargetKind::Write, "&>");
                }
            }
            ast::IoRedirect::HereDocument(fd, heredoc) => {
                let body = if heredoc.requires_expansion {
                    self.expand_heredoc(&heredoc.doc.value)
                } else {
                    Arg::literal(heredoc.doc.value.as_str())
                };
                if reads_stdin(fd) {
                    *stdin = text_stream(body, "a heredoc");
                }
            }
            ast::IoRedirect::HereString(fd, word) => {
                let mut text = self.expand_single(&word.value);
                text.text.push('\n');
                if reads_stdin(fd) {
                    *stdin = text_stream(text, "a here-string");
                }
            }
        }
    }

    /// Runs the words of a simple command: sees through wrappers, records the
    /// invocation, and applies what Ward knows of the program.
    pub(super) fn invoke(
        &mut self,
        argv: Vec<Arg>,
        stdin: &Stream,
        mut wrappers: Vec<String>,
    ) -> Stream {
        let mut argv = argv;
        if let Some(expanded) = self.expand_alias(&argv) {
            match expanded {
                Ok(words) => argv = words,
                Err(source) => {
                    self.nested_source(&source, stdin, "an alias");
                    return Stream::output_of("an alias");
                }
            }
        }
        let mut start = 0;
        let mut via_xargs = false;
        let mut directory = None;
        loop {
            let Some(first) = argv.get(start) else {
                return Stream::empty();
            };
            if !first.is_literal() {
                let note = format!(
                    "the program `{}` is only known when the line runs",
                    first.text
                );
                self.opaque(note);
                // `${RM:-rm} -rf ~`: unless the environment sets RM, `rm` runs.
                if let Some(default) = self.default_of(&first.text) {
                    let mut with_default = vec![Arg::literal(default)];
                    with_default.extend(argv.get(start + 1..).unwrap_or_default().iter().cloned());
                    return self.invoke(with_default, stdin, wrappers);
                }
                return Stream::output_of(&first.text);
            }
            let name = base_name(&first.text).to_owned();
            let rest = argv.get(start + 1..).unwrap_or_default();
            let Some(unwrapped) = wrappers::unwrap(&name, rest) else {
                break;
            };
            for file in &unwrapped.reads {
                self.add_path(file, TargetKind::Read, &name);
            }
            for file in &unwrapped.writes {
                self.add_path(file, TargetKind::Write, &name);
            }
            via_xargs |= unwrapped.args_from_stdin;
            if unwrapped.directory.is_some() {
                directory = unwrapped.directory;
            }
            wrappers.push(name);
            match unwrapped.split {
                Some(command) => {
                    if !command.is_literal() {
                        self.opaque(format!(
                            "the command `{}` given to `env -S` is only known when the line runs",
                            command.text
                        ));
                        return Stream::output_of("env");
                    }
                    let mut next: Vec<Arg> =
                        command.text.split_whitespace().map(Arg::literal).collect();
                    next.extend(argv.drain(..).skip(start + 1 + unwrapped.skip));
                    argv = next;
                    start = 0;
                }
                None => start += 1 + unwrapped.skip,
            }
        }
        if via_xargs && let Stream::Hidden(source) = stdin {
            self.action.add_tag("hidden-code");
            self.opaque(format!("`xargs` takes its arguments from {source}"));
        }
        if via_xargs && let Stream::Text(text) = stdin {
            // `echo a b | xargs rm`: the arguments xargs reads are known text.
            let words: Vec<&str> = text.split_whitespace().collect();
            if words.len() <= MAX_XARGS_WORDS {
                let replaced = argv.iter().skip(start).any(|arg| arg.text == "{}");
                if replaced {
                    // `xargs -I {} rm {}`: the words take the place of `{}`.
                    let command = argv.split_off(start);
                    let mut expanded = argv;
                    for arg in command {
                        if arg.text == "{}" {
                            expanded.extend(words.iter().map(|word| Arg::literal(*word)));
                        } else {
                            expanded.push(arg);
                        }
                    }
                    argv = expanded;
                } else {
                    argv.extend(words.into_iter().map(Arg::literal));
                }
                via_xargs = false;
            }
        }
        let program_word = argv
            .get(start)
            .map(|first| first.text.clone())
            .unwrap_or_default();
        let program = base_name(&program_word).to_owned();
        let args = argv.get(start + 1..).unwrap_or_default();
        if self.defining.contains(&program_word) {
            self.action.add_finding(
                "sys.fork-bomb",
                Some(&program_word),
                format!("the function `{program_word}` calls itself: a fork bomb"),
            );
        }
        exfil::check_words(self, &program, args);
        // A wrapper (`sudo f`, `env f`, `xargs f`) runs a program, never a function.
        let direct = wrappers.is_empty() && !via_xargs;
        self.action.commands.push(CommandInvocation {
            program: program.clone(),
            args: args.iter().map(|arg| arg.text.clone()).collect(),
            flags: args::flags(&program, args),
            wrappers,
        });
        if direct && self.call_function(&program_word, args, stdin) {
            return Stream::output_of(&program);
        }

        self.in_directory(directory.as_ref(), |walker| {
            if program_word.contains('/') && !is_system_program(&program_word) {
                let script = Arg::literal(program_word.as_str());
                walker.add_path(&script, TargetKind::Execute, &program);
                walker.run_written_script(&script, true, stdin);
            }
            let stdin = if via_xargs {
                Stream::Inherited
            } else {
                stdin.clone()
            };
            exfil::check_stdin(walker, &program, &stdin);
            let output = programs::run(walker, &program, args, &stdin);
            if via_xargs
                && let Some(kind) = programs::operand_kind(&program)
                && kind != TargetKind::Read
            {
                walker.opaque(format!(
                    "the operands of `{program}` come from stdin through `xargs`"
                ));
            }
            output
        })
    }

    /// The words of a command whose first word is an alias defined in the line:
    /// `Ok` with the alias's words in place of the name, or `Err` with shell code
    /// to analyse when the alias holds more than one plain command.
    fn expand_alias(&self, argv: &[Arg]) -> Option<Result<Vec<Arg>, String>> {
        let first = argv.first().filter(|first| first.is_literal())?;
        let (_, value) = self
            .scope
            .aliases
            .iter()
            .rev()
            .find(|(name, _)| *name == first.text)?;
        let rest = argv.get(1..).unwrap_or_default();
        if value.contains([';', '|', '&', '<', '>', '$', '`', '(', '"', '\'', '\\']) {
            let mut source = value.clone();
            for arg in rest {
                source.push(' ');
                source.push_str(&arg.text);
            }
            return Some(Err(source));
        }
        let home = &self.scope.context.home;
        let mut words: Vec<Arg> = value
            .split_whitespace()
            .map(|word| Arg::literal(expand_home(word, home)))
            .collect();
        if words.first().is_some_and(|word| word.text == first.text) {
            // `alias ls='ls -la'`: the alias names its own program, expanded once.
            words.extend(rest.iter().cloned());
            return Some(Ok(words));
        }
        words.extend(rest.iter().cloned());
        Some(Ok(words))
    }

    /// Adds a path target, resolved against the current directory; a path only
    /// known when the line runs marks the action opaque instead.
    pub(super) fn add_path(&mut self, file: &Arg, kind: TargetKind, program: &str) {
        match file.origin {
            Origin::Pipe { .. } => {}
            _ if file.text.is_empty() => {}
            Origin::Literal => {
                if !self.scope.cwd_known && !file.text.starts_with('/') {
                    let note = format!(
                        "`{program}` {} the relative path `{}` after `cd` to a directory only known when the line runs",
                        verb(kind),
                        file.text
                    );
                    self.opaque(note);
                    return;
                }
                let path = resolve_expanded(&file.text, &self.scope.context);
                if kind == TargetKind::Delete {
                    self.add_globbed_home(&path);
                }
                self.action.add_target(path, kind);
            }
            Origin::Dynamic | Origin::Remote | Origin::Hidden => {
                let note = format!(
                    "`{program}` {} `{}`, a path only known when the line runs",
                    verb(kind),
                    file.text
                );
                self.opaque(note);
            }
        }
    }

    /// A deleted glob that matches the home directory itself (`rm -rf /home/*/`,
    /// `rm -rf ~/../*`) deletes it: the home directory becomes a target too, so
    /// that the rules about deleting it see it.
    fn add_globbed_home(&mut self, path: &str) {
        if !path.contains(['*', '?', '[']) {
            return;
        }
        let home = self.scope.context.home.trim_end_matches('/');
        if home.is_empty() {
            return;
        }
        let options = glob::MatchOptions {
            case_sensitive: true,
            require_literal_separator: true,
            require_literal_leading_dot: true,
        };
        let pattern = path.trim_end_matches('/');
        if glob::Pattern::new(pattern).is_ok_and(|glob| glob.matches_with(home, options)) {
            self.action.add_target(home.to_owned(), TargetKind::Delete);
        }
    }

    /// Records a file a download writes (see [`Walker::downloads`]).
    pub(super) fn note_download(&mut self, file: &Arg) {
        if file.is_literal() && file.text != "-" {
            let path = resolve_expanded(&file.text, &self.scope.context);
            self.downloads.push(path);
        }
    }

    /// Adds a network target (a URL or host, kept as written).
    pub(super) fn add_network(&mut self, address: &Arg, program: &str) {
        self.action.add_category(crate::Category::Network);
        if address.text.is_empty() || matches!(address.origin, Origin::Pipe { .. }) {
            return;
        }
        if address.is_literal() {
            self.action
                .add_target(address.text.clone(), TargetKind::Network);
        } else {
            let note = format!(
                "`{program}` connects to `{}`, an address only known when the line runs",
                address.text
            );
            self.opaque(note);
        }
    }
}

/// The stream of a heredoc or here-string.
fn text_stream(text: Arg, what: &str) -> Stream {
    match text.origin {
        Origin::Literal => Stream::Text(text.text),
        Origin::Remote | Origin::Pipe { remote: true } => Stream::Remote(what.to_owned()),
        Origin::Hidden => Stream::Hidden(format!("{what} with decoded text")),
        _ => Stream::Unknown(format!("{what} with values only known when the line runs")),
    }
}

/// How a note says a program touches a path.
fn verb(kind: TargetKind) -> &'static str {
    match kind {
        TargetKind::Read => "reads",
        TargetKind::Write => "writes",
        TargetKind::Delete => "deletes",
        TargetKind::Chmod => "changes the mode of",
        TargetKind::Network => "connects to",
        TargetKind::Execute => "runs",
    }
}

/// The base name of a program path (`rm` for `/bin/rm`).
pub(super) fn base_name(program: &str) -> &str {
    match program.rsplit_once('/') {
        Some((_, name)) if !name.is_empty() => name,
        _ => program,
    }
}

/// Whether a program path is in a system directory (`/usr/bin/rm` is `rm`, not a
/// script of the project).
fn is_system_program(path: &str) -> bool {
    const SYSTEM_DIRECTORIES: [&str; 7] = [
        "/bin/",
        "/sbin/",
        "/usr/bin/",
        "/usr/sbin/",
        "/usr/local/bin/",
        "/usr/local/sbin/",
        "/opt/homebrew/bin/",
    ];
    SYSTEM_DIRECTORIES.iter().any(|directory| {
        path.strip_prefix(directory)
            .is_some_and(|name| !name.contains('/'))
    })
}

/// The `HOST:PORT` of bash's socket pseudo-files (`/dev/tcp/HOST/PORT`,
/// `/dev/udp/HOST/PORT`), which open a network connection instead of a file.
fn socket_address(file: &Arg) -> Option<Arg> {
    let rest = file
        .text
        .strip_prefix("/dev/tcp/")
        .or_else(|| file.text.strip_prefix("/dev/udp/"))?;
    let (host, port) = rest.split_once('/').unwrap_or((rest, ""));
    Some(Arg {
        text: format!("{host}:{port}"),
        origin: file.origin,
    })
}

/// Special files a redirection may name that are streams, not targets.
fn is_stream_device(path: &str) -> bool {
    matches!(
        path,
        "/dev/null" | "/dev/stdout" | "/dev/stderr" | "/dev/stdin" | "/dev/tty"
    ) || path
        .strip_prefix("/dev/fd/")
        .is_some_and(|fd| fd.bytes().all(|byte| byte.is_ascii_digit()))
}
