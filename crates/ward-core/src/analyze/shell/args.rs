//! Command-line options: which take a value, which arguments are operands, and the
//! normalised flag names recorded in each [`crate::CommandInvocation`].

use super::programs;
use super::words::{Arg, Origin};

/// How a program writes its options. Programs without one get the generic reading
/// of [`flags`], where no option takes a value.
#[derive(Debug, Clone, Copy)]
pub(super) struct OptionSpec {
    /// Short options that take a value, as `-o FILE` or `-oFILE`.
    pub(super) short_value: &'static str,
    /// Short options that take a value only when it is attached (`sed -i.bak`).
    pub(super) short_attached: &'static str,
    /// Long options (without dashes) that take a value, as `--output FILE` or
    /// `--output=FILE`.
    pub(super) long_value: &'static [&'static str],
    /// Whether the first operand ends the options (wrappers, interpreters: the
    /// rest belongs to the command or script they run).
    pub(super) stop_at_operand: bool,
}

impl OptionSpec {
    /// A program whose options take no values.
    pub(super) const NONE: OptionSpec = OptionSpec::new("", &[]);

    pub(super) const fn new(
        short_value: &'static str,
        long_value: &'static [&'static str],
    ) -> OptionSpec {
        OptionSpec {
            short_value,
            short_attached: "",
            long_value,
            stop_at_operand: false,
        }
    }

    pub(super) const fn attached(self, short_attached: &'static str) -> OptionSpec {
        OptionSpec {
            short_attached,
            ..self
        }
    }

    pub(super) const fn stopping(self) -> OptionSpec {
        OptionSpec {
            stop_at_operand: true,
            ..self
        }
    }
}

/// One option as written: `-o FILE` gives name `o` and value `FILE`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Opt<'a> {
    pub(super) name: &'a str,
    pub(super) value: Option<OptValue<'a>>,
}

/// The value of an option.
#[derive(Debug, Clone, Copy)]
pub(super) struct OptValue<'a> {
    pub(super) text: &'a str,
    pub(super) origin: Origin,
}

impl OptValue<'_> {
    pub(super) fn to_arg(self) -> Arg {
        Arg {
            text: self.text.to_owned(),
            origin: self.origin,
        }
    }
}

/// A program's arguments split into options and operands.
#[derive(Debug, Default)]
pub(super) struct Parsed<'a> {
    pub(super) options: Vec<Opt<'a>>,
    pub(super) operands: Vec<&'a Arg>,
    /// Where the operands start when the spec stops at the first one.
    pub(super) rest: usize,
}

impl<'a> Parsed<'a> {
    /// Whether any of the named options is given.
    pub(super) fn has(&self, names: &[&str]) -> bool {
        self.options
            .iter()
            .any(|option| names.contains(&option.name))
    }

    /// The values of the named options, in order.
    pub(super) fn values<'b>(
        &'b self,
        names: &'b [&str],
    ) -> impl Iterator<Item = OptValue<'a>> + 'b {
        self.options
            .iter()
            .filter(move |option| names.contains(&option.name))
            .filter_map(|option| option.value)
    }

    /// The last value of the named options.
    pub(super) fn value(&self, names: &[&str]) -> Option<OptValue<'a>> {
        self.values(names).last()
    }
}

/// Splits arguments into options and operands.
pub(super) fn parse<'a>(args: &'a [Arg], spec: &OptionSpec) -> Parsed<'a> {
    let mut parsed = Parsed {
        rest: args.len(),
        ..Parsed::default()
    };
    let mut only_operands = false;
    let mut index = 0;
    while let Some(arg) = args.get(index) {
        index += 1;
        let text = arg.text.as_str();
        let is_option = !only_operands
            && text.len() > 1
            && text.starts_with('-')
            && !matches!(arg.origin, Origin::Pipe { .. });
        if !is_option {
            if parsed.operands.is_empty() {
                parsed.rest = index - 1;
            }
            parsed.operands.push(arg);
            if spec.stop_at_operand {
                only_operands = true;
            }
            continue;
        }
        if text == "--" {
            only_operands = true;
            if parsed.operands.is_empty() {
                parsed.rest = index;
            }
            continue;
        }
        if let Some(long) = text.strip_prefix("--") {
            let (name, value) = match long.split_once('=') {
                Some((name, value)) => (name, Some(value_of(value, arg))),
                None if spec.long_value.contains(&long) => {
                    let value = args.get(index).map(|next| OptValue {
                        text: next.text.as_str(),
                        origin: next.origin,
                    });
                    index += 1;
                    (long, value)
                }
                None => (long, None),
            };
            parsed.options.push(Opt { name, value });
            continue;
        }
        let cluster = text.get(1..).unwrap_or("");
        for (position, c) in cluster.char_indices() {
            let after = position + c.len_utf8();
            let name = cluster.get(position..after).unwrap_or("");
            let attached = cluster.get(after..).unwrap_or("");
            if spec.short_value.contains(c) {
                let value = if attached.is_empty() {
                    let value = args.get(index).map(|next| OptValue {
                        text: next.text.as_str(),
                        origin: next.origin,
                    });
                    index += 1;
                    value
                } else {
                    Some(value_of(attached, arg))
                };
                parsed.options.push(Opt { name, value });
                break;
            }
            if spec.short_attached.contains(c) {
                let value = (!attached.is_empty()).then(|| value_of(attached, arg));
                parsed.options.push(Opt { name, value });
                break;
            }
            parsed.options.push(Opt { name, value: None });
        }
    }
    if parsed.operands.is_empty() {
        parsed.rest = args.len();
    }
    parsed
}

fn value_of<'a>(text: &'a str, arg: &Arg) -> OptValue<'a> {
    OptValue {
        text,
        origin: arg.origin,
    }
}

/// Programs whose options are whole words after a single dash (Go's flag package).
const SINGLE_DASH_LONG: [&str; 8] = [
    "terraform",
    "tofu",
    "terragrunt",
    "packer",
    "vault",
    "consul",
    "nomad",
    "go",
];

/// The normalised flags of a command: short clusters split into letters (`-rf`
/// gives `r`, `f`), long options without dashes or values (`--output=x` gives
/// `output`), nothing after `--`. Programs with a known [`OptionSpec`] skip option
/// values (`-o file` gives `o`); `find`'s single-dash words stay whole (`delete`),
/// and so do the options of programs written with Go's flag package
/// (`terraform apply -auto-approve` gives `auto-approve`).
pub(super) fn flags(program: &str, args: &[Arg]) -> Vec<String> {
    let mut flags: Vec<String> = Vec::new();
    let mut add = |flag: &str| {
        if !flag.is_empty() && !flags.iter().any(|known| known == flag) {
            flags.push(flag.to_owned());
        }
    };
    if let Some(spec) = programs::option_spec(program) {
        for option in parse(args, &spec).options {
            add(option.name);
        }
        return flags;
    }
    for arg in args {
        let text = arg.text.as_str();
        if text == "--" {
            break;
        }
        if let Some(long) = text.strip_prefix("--") {
            add(long.split_once('=').map_or(long, |(name, _)| name));
        } else if let Some(short) = text.strip_prefix('-') {
            if program == "find" || SINGLE_DASH_LONG.contains(&program) {
                add(short.split_once('=').map_or(short, |(name, _)| name));
            } else {
                let mut buffer = [0; 4];
                for c in short.chars() {
                    add(c.encode_utf8(&mut buffer));
                }
            }
        }
    }
    flags
}
