//! Programs that read, write, delete or change the mode of the paths they are
//! given: `rm`, `find`, `mv`, `cp`, `chmod`, `touch`, `dd`, `sed -i`, `tar`, the
//! readers (`cat`, `grep`, ...). Each adds its operands as targets of the right kind.

use super::args::{OptionSpec, Parsed, parse};
use super::programs;
use super::walk::{Stream, Walker};
use super::words::Arg;
use crate::TargetKind;

const SHRED: OptionSpec = OptionSpec::new("ns", &["iterations", "size", "random-source"]);
const MOVE: OptionSpec = OptionSpec::new("tS", &["target-directory", "suffix"]);
const INSTALL: OptionSpec = OptionSpec::new(
    "tSmog",
    &[
        "target-directory",
        "suffix",
        "mode",
        "owner",
        "group",
        "strip-program",
    ],
);
const OWNER: OptionSpec = OptionSpec::new("", &["from", "reference"]);
const TOUCH: OptionSpec = OptionSpec::new("dtr", &["date", "reference", "time"]);
const MKDIR: OptionSpec = OptionSpec::new("m", &["mode", "context"]);
const TRUNCATE: OptionSpec = OptionSpec::new("sr", &["size", "reference"]);
const SED: OptionSpec =
    OptionSpec::new("efl", &["expression", "file", "line-length"]).attached("i");
const SORT: OptionSpec = OptionSpec::new(
    "kotST",
    &[
        "key",
        "output",
        "field-separator",
        "buffer-size",
        "temporary-directory",
        "parallel",
        "files0-from",
        "compress-program",
        "batch-size",
    ],
);
const HEAD: OptionSpec = OptionSpec::new("nc", &["lines", "bytes"]);
const TAIL: OptionSpec = OptionSpec::new(
    "ncs",
    &[
        "lines",
        "bytes",
        "sleep-interval",
        "pid",
        "max-unchanged-stats",
    ],
);
const CUT: OptionSpec = OptionSpec::new(
    "bcdf",
    &[
        "bytes",
        "characters",
        "delimiter",
        "fields",
        "output-delimiter",
    ],
);
const UNIQ: OptionSpec = OptionSpec::new("fsw", &["skip-fields", "skip-chars", "check-chars"]);
const DIFF: OptionSpec = OptionSpec::new(
    "CUxXIFLW",
    &[
        "context",
        "unified",
        "exclude",
        "exclude-from",
        "ignore-matching-lines",
        "label",
        "show-function-line",
        "width",
        "from-file",
        "to-file",
    ],
);
const LIST: OptionSpec = OptionSpec::new(
    "IwT",
    &[
        "ignore",
        "hide",
        "width",
        "tabsize",
        "block-size",
        "format",
        "sort",
        "time-style",
    ],
);
const GREP: OptionSpec = OptionSpec::new(
    "efmABCdD",
    &[
        "regexp",
        "file",
        "max-count",
        "after-context",
        "before-context",
        "context",
        "devices",
        "directories",
        "exclude",
        "include",
        "exclude-dir",
        "exclude-from",
        "label",
        "binary-files",
        "group-separator",
    ],
);
const RIPGREP: OptionSpec = OptionSpec::new(
    "efgmABCMtTjrEd",
    &[
        "regexp",
        "file",
        "glob",
        "iglob",
        "max-count",
        "after-context",
        "before-context",
        "context",
        "max-columns",
        "type",
        "type-not",
        "threads",
        "replace",
        "encoding",
        "max-depth",
        "max-filesize",
        "sort",
        "sortr",
        "type-add",
        "ignore-file",
        "pre",
        "pre-glob",
    ],
);
const AWK: OptionSpec = OptionSpec::new("fvF", &["file", "assign", "field-separator"]);
const TAR: OptionSpec = OptionSpec::new(
    "fCbTXgHKLNV",
    &[
        "file",
        "directory",
        "blocking-factor",
        "files-from",
        "exclude-from",
        "listed-incremental",
        "format",
        "starting-file",
        "tape-length",
        "newer",
        "label",
        "exclude",
        "transform",
        "use-compress-program",
        "owner",
        "group",
        "mode",
        "mtime",
    ],
);

/// Programs that only read their operands, with how their options are written.
const READERS: &[(&str, OptionSpec)] = &[
    ("cat", OptionSpec::NONE),
    ("tac", OptionSpec::new("s", &["separator"])),
    ("nl", OptionSpec::new("bdfhilnsvw", &[])),
    ("less", OptionSpec::new("bhjkoOpPtTxyz", &[])),
    ("more", OptionSpec::new("n", &[])),
    ("head", HEAD),
    ("tail", TAIL),
    ("wc", OptionSpec::new("", &["files0-from"])),
    ("cut", CUT),
    ("uniq", UNIQ),
    ("od", OptionSpec::new("AjNSstw", &[])),
    ("xxd", OptionSpec::new("cglosn", &[])),
    ("hexdump", OptionSpec::new("efns", &[])),
    ("strings", OptionSpec::new("nte", &[])),
    ("base64", OptionSpec::new("w", &["wrap"])),
    ("md5sum", OptionSpec::NONE),
    ("sha1sum", OptionSpec::NONE),
    ("sha256sum", OptionSpec::NONE),
    ("sha512sum", OptionSpec::NONE),
    ("shasum", OptionSpec::new("a", &["algorithm"])),
    ("b2sum", OptionSpec::new("l", &["length"])),
    ("cksum", OptionSpec::new("a", &["algorithm"])),
    (
        "file",
        OptionSpec::new("efFmP", &["magic-file", "separator"]),
    ),
    ("stat", OptionSpec::new("cf", &["format", "printf"])),
    ("diff", DIFF),
    ("cmp", OptionSpec::new("in", &["ignore-initial", "bytes"])),
    ("comm", OptionSpec::new("", &["output-delimiter"])),
    ("paste", OptionSpec::new("d", &["delimiters"])),
    ("column", OptionSpec::new("cstoNOREWHd", &[])),
    ("fold", OptionSpec::new("w", &["width"])),
    ("rev", OptionSpec::NONE),
    (
        "bat",
        OptionSpec::new(
            "lHmr",
            &[
                "language",
                "highlight-line",
                "map-syntax",
                "line-range",
                "theme",
                "style",
            ],
        ),
    ),
    ("ls", LIST),
    (
        "du",
        OptionSpec::new(
            "BdtX",
            &[
                "block-size",
                "max-depth",
                "threshold",
                "exclude-from",
                "exclude",
                "time-style",
            ],
        ),
    ),
    ("tree", OptionSpec::new("LIPoH", &[])),
    ("zcat", OptionSpec::NONE),
];

/// `zip`'s options that take a value (`-b DIR`, `-P PASSWORD`, `-x PATTERN`...).
const ZIP: OptionSpec = OptionSpec::new("bntPZxiOs", &["password", "exclude", "include", "out"]);

/// Applies the rule of a file program, if `program` is one.
pub(super) fn run(
    walker: &mut Walker<'_>,
    program: &str,
    args: &[Arg],
    stdin: &Stream,
) -> Option<Stream> {
    let output = match program {
        "rm" | "rmdir" | "unlink" | "rimraf" | "del" | "del-cli" | "srm" => {
            operands(
                walker,
                program,
                &parse(args, &OptionSpec::NONE),
                TargetKind::Delete,
            );
            Stream::empty()
        }
        "shred" => {
            operands(walker, program, &parse(args, &SHRED), TargetKind::Delete);
            Stream::empty()
        }
        "find" => find(walker, args),
        "fd" | "fdfind" => super::fd::fd(walker, program, args),
        "mv" => {
            move_files(walker, args);
            Stream::empty()
        }
        "cp" | "install" | "ln" | "link" => {
            copy(walker, program, args);
            Stream::empty()
        }
        "chmod" => {
            chmod(walker, args);
            Stream::empty()
        }
        "chown" | "chgrp" => {
            let parsed = parse(args, &OWNER);
            reads(walker, program, &parsed, &["reference"]);
            let files = if parsed.has(&["reference"]) {
                parsed.operands.as_slice()
            } else {
                parsed.operands.get(1..).unwrap_or_default()
            };
            for file in files {
                walker.add_path(file, TargetKind::Chmod, program);
            }
            Stream::empty()
        }
        "touch" | "mkdir" | "truncate" => {
            let spec = match program {
                "touch" => TOUCH,
                "mkdir" => MKDIR,
                _ => TRUNCATE,
            };
            let parsed = parse(args, &spec);
            reads(walker, program, &parsed, &["r", "reference"]);
            operands(walker, program, &parsed, TargetKind::Write);
            Stream::empty()
        }
        "tee" => {
            operands(
                walker,
                program,
                &parse(args, &OptionSpec::NONE),
                TargetKind::Write,
            );
            stdin.clone()
        }
        "dd" => dd(walker, args),
        "sed" => sed(walker, args),
        "tar" => tar(walker, args),
        "zip" => {
            // `zip [OPTIONS] ARCHIVE FILE...`: writes the archive, reads the files.
            let parsed = parse(args, &ZIP);
            let mut operands = parsed.operands.iter();
            if let Some(archive) = operands.next() {
                walker.add_path(archive, TargetKind::Write, program);
            }
            for file in operands {
                walker.add_path(file, TargetKind::Read, program);
            }
            Stream::output_of(program)
        }
        "sort" => {
            let parsed = parse(args, &SORT);
            reads(walker, program, &parsed, &["files0-from"]);
            for output in parsed.values(&["o", "output"]) {
                walker.add_path(&output.to_arg(), TargetKind::Write, program);
            }
            operands(walker, program, &parsed, TargetKind::Read);
            Stream::output_of(program)
        }
        "grep" | "egrep" | "fgrep" | "rg" => grep(walker, program, args),
        "jq" | "gojq" | "yq" | "jaq" => jq(walker, program, args),
        "openssl" => {
            // `openssl SUBCOMMAND -in FILE -out FILE` (and `-inkey`, `-key`).
            let mut words = args.iter();
            while let Some(word) = words.next() {
                let kind = match word.text.as_str() {
                    "-in" | "-inkey" | "-key" | "-CAfile" | "-cert" | "-certfile" => {
                        TargetKind::Read
                    }
                    "-out" | "-keyout" => TargetKind::Write,
                    _ => continue,
                };
                if let Some(file) = words.next() {
                    walker.add_path(file, kind, program);
                }
            }
            if programs::decodes(program, args) {
                Stream::Hidden(format!("text decoded by `{program}`"))
            } else {
                Stream::output_of(program)
            }
        }
        "awk" | "gawk" | "mawk" | "nawk" => awk(walker, program, args),
        _ => {
            let (_, spec) = READERS.iter().find(|(name, _)| *name == program)?;
            let parsed = parse(args, spec);
            if parsed.operands.is_empty() && matches!(program, "ls" | "du" | "tree") {
                walker.add_path(&Arg::literal("."), TargetKind::Read, program);
            }
            operands(walker, program, &parsed, TargetKind::Read);
            if programs::decodes(program, args) {
                Stream::Hidden(format!("text decoded by `{program}`"))
            } else if program == "cat" && parsed.operands.is_empty() {
                stdin.clone()
            } else {
                Stream::output_of(program)
            }
        }
    };
    Some(output)
}

/// How a file program's options are written.
pub(super) fn option_spec(program: &str) -> Option<OptionSpec> {
    let spec = match program {
        "rm" | "rmdir" | "unlink" | "tee" | "chmod" => OptionSpec::NONE,
        "shred" => SHRED,
        "mv" | "cp" | "ln" | "link" => MOVE,
        "install" => INSTALL,
        "chown" | "chgrp" => OWNER,
        "touch" => TOUCH,
        "mkdir" => MKDIR,
        "truncate" => TRUNCATE,
        "sed" => SED,
        "sort" => SORT,
        "grep" | "egrep" | "fgrep" => GREP,
        "rg" => RIPGREP,
        "awk" | "gawk" | "mawk" | "nawk" => AWK,
        "tar" => TAR,
        _ => READERS.iter().find(|(name, _)| *name == program)?.1,
    };
    Some(spec)
}

/// How a file program touches its operands.
pub(super) fn operand_kind(program: &str) -> Option<TargetKind> {
    match program {
        "rm" | "rmdir" | "unlink" | "shred" | "mv" => Some(TargetKind::Delete),
        "cp" | "install" | "ln" | "link" | "touch" | "mkdir" | "truncate" | "tee" | "dd"
        | "sed" | "tar" => Some(TargetKind::Write),
        "chmod" | "chown" | "chgrp" => Some(TargetKind::Chmod),
        "find" | "sort" | "grep" | "egrep" | "fgrep" | "rg" | "awk" | "gawk" | "mawk" | "nawk" => {
            Some(TargetKind::Read)
        }
        _ => READERS
            .iter()
            .any(|(name, _)| *name == program)
            .then_some(TargetKind::Read),
    }
}

/// Adds every operand as a target of `kind`.
fn operands(walker: &mut Walker<'_>, program: &str, parsed: &Parsed<'_>, kind: TargetKind) {
    for operand in &parsed.operands {
        walker.add_path(operand, kind, program);
    }
}

/// Adds the values of the named options as read targets.
fn reads(walker: &mut Walker<'_>, program: &str, parsed: &Parsed<'_>, names: &[&str]) {
    for value in parsed.values(names) {
        walker.add_path(&value.to_arg(), TargetKind::Read, program);
    }
}

/// `find START... EXPRESSION`: reads the start paths, deletes them with `-delete`,
/// runs the commands of `-exec` (with `{}` standing for the start paths).
fn find(walker: &mut Walker<'_>, args: &[Arg]) -> Stream {
    let mut index = 0;
    while let Some(arg) = args.get(index) {
        match arg.text.as_str() {
            "-H" | "-L" | "-P" => index += 1,
            "-D" => index += 2,
            text if text.starts_with("-O") => index += 1,
            _ => break,
        }
    }
    let mut starts = Vec::new();
    while let Some(arg) = args.get(index) {
        let text = arg.text.as_str();
        if (text.starts_with('-') && text.len() > 1) || matches!(text, "(" | "!" | ",") {
            break;
        }
        starts.push(arg.clone());
        index += 1;
    }
    if starts.is_empty() {
        starts.push(Arg::literal("."));
    }
    for start in &starts {
        walker.add_path(start, TargetKind::Read, "find");
    }
    let matched = matched_paths(&starts, args.get(index..).unwrap_or_default());
    let mut delete = false;
    while let Some(arg) = args.get(index) {
        index += 1;
        match arg.text.as_str() {
            "-delete" => delete = true,
            "-exec" | "-execdir" | "-ok" | "-okdir" => {
                let mut command = Vec::new();
                while let Some(word) = args.get(index) {
                    index += 1;
                    if word.is_literal() && matches!(word.text.as_str(), ";" | "+") {
                        break;
                    }
                    if word.text == "{}" {
                        command.extend(matched.iter().cloned());
                    } else if word.text.contains("{}") {
                        let first = matched.first().map_or(".", |start| start.text.as_str());
                        command.push(Arg {
                            text: word.text.replace("{}", first),
                            origin: word.origin,
                        });
                    } else {
                        command.push(word.clone());
                    }
                }
                walker.invoke(command, &Stream::Inherited, vec!["find".to_owned()]);
            }
            "-fprint" | "-fprint0" | "-fls" | "-fprintf" => {
                if let Some(file) = args.get(index) {
                    walker.add_path(file, TargetKind::Write, "find");
                }
                index += 1;
            }
            _ => {}
        }
    }
    if delete {
        for path in &matched {
            walker.add_path(path, TargetKind::Delete, "find");
        }
    }
    // What find prints are the paths it matched (already expanded): known, for
    // `xargs` to pass on.
    if matched.iter().all(Arg::is_literal) {
        let paths: Vec<&str> = matched.iter().map(|path| path.text.as_str()).collect();
        return Stream::Text(paths.join("\n"));
    }
    Stream::output_of("find")
}

/// What `find`'s actions (`-delete`, `{}` of `-exec`) apply to, as paths: the
/// starting points themselves when nothing filters them; `START/*` when
/// `-mindepth` skips the start but not its contents; `START/**/NAME` for a `-name`
/// test; `START/**/*` for any other test that selects some files only (`-mtime`,
/// `-path`, `-size`...). `-type` alone selects by kind, not by name, and is no
/// filter: `find ~ -type f -delete` empties the home directory.
fn matched_paths(starts: &[Arg], expression: &[Arg]) -> Vec<Arg> {
    const SELECTIVE: [&str; 24] = [
        "-path",
        "-ipath",
        "-wholename",
        "-iwholename",
        "-regex",
        "-iregex",
        "-newer",
        "-anewer",
        "-cnewer",
        "-mtime",
        "-mmin",
        "-atime",
        "-amin",
        "-ctime",
        "-cmin",
        "-size",
        "-empty",
        "-user",
        "-group",
        "-perm",
        "-links",
        "-inum",
        "-samefile",
        "-uid",
    ];
    let mut name = None;
    let mut selective = false;
    let mut skips_start = false;
    let mut words = expression.iter();
    while let Some(word) = words.next() {
        match word.text.as_str() {
            "-name" | "-iname" | "-lname" | "-ilname" => {
                if let Some(pattern) = words.next() {
                    let everything = matches!(pattern.text.as_str(), "*" | "*.*" | ".*" | "**");
                    if !everything && pattern.is_literal() {
                        name = Some(pattern.text.clone());
                    } else if !pattern.is_literal() {
                        selective = true;
                    }
                }
            }
            "-mindepth" => {
                skips_start |= words.next().is_some_and(|depth| depth.text != "0");
            }
            test if SELECTIVE.contains(&test) => selective = true,
            _ => {}
        }
    }
    let suffix = match (&name, selective, skips_start) {
        (Some(name), _, _) => format!("/**/{name}"),
        (None, true, _) => "/**/*".to_owned(),
        (None, false, true) => "/*".to_owned(),
        (None, false, false) => return starts.to_vec(),
    };
    starts
        .iter()
        .map(|start| Arg {
            text: format!("{}{suffix}", start.text.trim_end_matches('/')),
            origin: start.origin,
        })
        .collect()
}

/// `mv SOURCE... DEST` or `mv -t DIR SOURCE...`: deletes the sources, writes the
/// destination.
fn move_files(walker: &mut Walker<'_>, args: &[Arg]) {
    let parsed = parse(args, &MOVE);
    if let Some(directory) = parsed.value(&["t", "target-directory"]) {
        walker.add_path(&directory.to_arg(), TargetKind::Write, "mv");
        operands(walker, "mv", &parsed, TargetKind::Delete);
    } else if let Some((destination, sources)) = parsed.operands.split_last()
        && !sources.is_empty()
    {
        for source in sources {
            walker.add_path(source, TargetKind::Delete, "mv");
        }
        walker.add_path(destination, TargetKind::Write, "mv");
    }
}

/// `cp`, `install`, `ln`: read the sources, write the destination.
fn copy(walker: &mut Walker<'_>, program: &str, args: &[Arg]) {
    let spec = if program == "install" { INSTALL } else { MOVE };
    let parsed = parse(args, &spec);
    if program == "install" && parsed.has(&["d", "directory"]) {
        operands(walker, program, &parsed, TargetKind::Write);
    } else if let Some(directory) = parsed.value(&["t", "target-directory"]) {
        walker.add_path(&directory.to_arg(), TargetKind::Write, program);
        operands(walker, program, &parsed, TargetKind::Read);
    } else if let Some((destination, sources)) = parsed.operands.split_last() {
        if sources.is_empty() {
            // `ln TARGET` links into the current directory; only the target is named.
            walker.add_path(destination, TargetKind::Read, program);
        } else {
            for source in sources {
                walker.add_path(source, TargetKind::Read, program);
            }
            walker.add_path(destination, TargetKind::Write, program);
        }
    }
}

/// `chmod MODE FILE...` (a mode may look like an option: `chmod -x file`).
fn chmod(walker: &mut Walker<'_>, args: &[Arg]) {
    let is_mode = |text: &str| {
        text.chars().all(|c| {
            matches!(
                c,
                'r' | 'w'
                    | 'x'
                    | 'X'
                    | 's'
                    | 't'
                    | 'u'
                    | 'g'
                    | 'o'
                    | 'a'
                    | '+'
                    | '-'
                    | '='
                    | ','
                    | '0'..='7'
            )
        })
    };
    let mut mode_seen = false;
    let mut only_operands = false;
    for arg in args {
        let text = arg.text.as_str();
        if !only_operands {
            if text == "--" {
                only_operands = true;
                continue;
            }
            if let Some(reference) = text.strip_prefix("--reference=") {
                mode_seen = true;
                let reference = Arg {
                    text: reference.to_owned(),
                    origin: arg.origin,
                };
                walker.add_path(&reference, TargetKind::Read, "chmod");
                continue;
            }
            if text.starts_with("--") || (text.starts_with('-') && text.len() > 1 && !is_mode(text))
            {
                continue;
            }
        }
        if mode_seen {
            walker.add_path(arg, TargetKind::Chmod, "chmod");
        } else {
            mode_seen = true;
        }
    }
}

/// `dd if=IN of=OUT`.
fn dd(walker: &mut Walker<'_>, args: &[Arg]) -> Stream {
    let mut writes_stdout = true;
    for arg in args {
        let (kind, path) = if let Some(path) = arg.text.strip_prefix("if=") {
            (TargetKind::Read, path)
        } else if let Some(path) = arg.text.strip_prefix("of=") {
            writes_stdout = false;
            (TargetKind::Write, path)
        } else {
            continue;
        };
        let path = Arg {
            text: path.to_owned(),
            origin: arg.origin,
        };
        walker.add_path(&path, kind, "dd");
    }
    if writes_stdout {
        Stream::output_of("dd")
    } else {
        Stream::empty()
    }
}

/// `sed [-i] SCRIPT FILE...`: reads the files, or writes them in place with `-i`.
fn sed(walker: &mut Walker<'_>, args: &[Arg]) -> Stream {
    let parsed = parse(args, &SED);
    reads(walker, "sed", &parsed, &["f", "file"]);
    let files = if parsed.has(&["e", "expression", "f", "file"]) {
        parsed.operands.as_slice()
    } else {
        parsed.operands.get(1..).unwrap_or_default()
    };
    let kind = if parsed.has(&["i", "in-place"]) {
        TargetKind::Write
    } else {
        TargetKind::Read
    };
    for file in files {
        walker.add_path(file, kind, "sed");
    }
    Stream::output_of("sed")
}

/// `tar -c|-x|-t -f ARCHIVE [-C DIR] [FILE...]`.
fn tar(walker: &mut Walker<'_>, args: &[Arg]) -> Stream {
    // Old style: `tar xzf archive.tgz` is `tar -xzf archive.tgz`.
    let mut owned;
    let mut args = args;
    if let Some((first, rest)) = args.split_first()
        && first.is_literal()
        && !first.text.is_empty()
        && first.text.chars().all(|c| c.is_ascii_alphabetic())
    {
        owned = vec![Arg::literal(format!("-{}", first.text))];
        owned.extend(rest.iter().cloned());
        args = &owned;
    }
    let parsed = parse(args, &TAR);
    reads(
        walker,
        "tar",
        &parsed,
        &["T", "files-from", "X", "exclude-from"],
    );
    let archive = parsed.value(&["f", "file"]).map(|value| value.to_arg());
    let directory = parsed
        .value(&["C", "directory"])
        .map(|value| value.to_arg());
    let archive = archive.filter(|archive| archive.text != "-");
    if parsed.has(&["c", "create", "r", "append", "u", "update", "A", "catenate"]) {
        if let Some(archive) = &archive {
            walker.add_path(archive, TargetKind::Write, "tar");
        }
        let removes = parsed.has(&["remove-files"]);
        walker.in_directory(directory.as_ref(), |walker| {
            operands(walker, "tar", &parsed, TargetKind::Read);
            if removes {
                // `--remove-files` deletes what it archived.
                operands(walker, "tar", &parsed, TargetKind::Delete);
            }
        });
    } else if parsed.has(&["x", "extract", "get"]) {
        if let Some(archive) = &archive {
            walker.add_path(archive, TargetKind::Read, "tar");
        }
        let destination = directory.unwrap_or_else(|| Arg::literal("."));
        walker.add_path(&destination, TargetKind::Write, "tar");
    } else if let Some(archive) = &archive {
        walker.add_path(archive, TargetKind::Read, "tar");
    }
    Stream::output_of("tar")
}

/// `grep [OPTION]... PATTERN [FILE]...` (and `rg`): reads the files.
fn grep(walker: &mut Walker<'_>, program: &str, args: &[Arg]) -> Stream {
    let spec = if program == "rg" { RIPGREP } else { GREP };
    let parsed = parse(args, &spec);
    reads(
        walker,
        program,
        &parsed,
        &["f", "file", "exclude-from", "ignore-file"],
    );
    let files = if parsed.has(&["e", "regexp", "f", "file"]) {
        parsed.operands.as_slice()
    } else {
        parsed.operands.get(1..).unwrap_or_default()
    };
    let recursive =
        program == "rg" || parsed.has(&["r", "R", "recursive", "dereference-recursive"]);
    if files.is_empty() && recursive {
        walker.add_path(&Arg::literal("."), TargetKind::Read, program);
    }
    for file in files {
        walker.add_path(file, TargetKind::Read, program);
    }
    Stream::output_of(program)
}

/// `awk PROGRAM FILE...`: reads the files; a program that runs commands
/// (`system()`, pipes) is not analysed.
/// `jq [OPTIONS] FILTER [FILE]...`: the files are read; `--arg NAME VALUE` and the
/// like take two words, `--slurpfile NAME FILE` reads its file.
fn jq(walker: &mut Walker<'_>, program: &str, args: &[Arg]) -> Stream {
    let mut filter_given = false;
    let mut index = 0;
    while let Some(arg) = args.get(index) {
        index += 1;
        match arg.text.as_str() {
            "--arg" | "--argjson" => index += 2,
            "--slurpfile" | "--rawfile" => {
                if let Some(file) = args.get(index + 1) {
                    walker.add_path(file, TargetKind::Read, program);
                }
                index += 2;
            }
            "-f" | "--from-file" => {
                if let Some(file) = args.get(index) {
                    walker.add_path(file, TargetKind::Read, program);
                }
                filter_given = true;
                index += 1;
            }
            "--indent" | "-L" | "--output-format" | "-o" | "-p" | "--input-format" => index += 1,
            "--" => {
                for file in args
                    .get(index..)
                    .unwrap_or_default()
                    .iter()
                    .skip(usize::from(!filter_given))
                {
                    walker.add_path(file, TargetKind::Read, program);
                }
                break;
            }
            text if text.starts_with('-') && text.len() > 1 => {}
            _ if !filter_given => filter_given = true,
            _ => walker.add_path(arg, TargetKind::Read, program),
        }
    }
    Stream::output_of(program)
}

/// The commands of an awk program whose only way of running commands is
/// `system("…")` with literal strings; `None` when it runs anything else
/// (`getline` from a command, pipes, `system` of a computed string).
fn literal_system_calls(program: &str) -> Option<Vec<String>> {
    if program.contains("getline") || program.contains("|") || !program.contains("system") {
        return None;
    }
    let mut commands = Vec::new();
    let mut rest = program;
    while let Some(at) = rest.find("system") {
        let after = rest[at + "system".len()..].trim_start();
        let inner = after.strip_prefix('(')?.trim_start().strip_prefix('"')?;
        let end = inner.find('"')?;
        let command = &inner[..end];
        if command.contains('\\') || !inner[end + 1..].trim_start().starts_with(')') {
            return None;
        }
        commands.push(command.to_owned());
        rest = &inner[end + 1..];
    }
    Some(commands)
}

fn awk(walker: &mut Walker<'_>, program: &str, args: &[Arg]) -> Stream {
    let parsed = parse(args, &AWK);
    reads(walker, program, &parsed, &["f", "file"]);
    let (script, files) = if parsed.has(&["f", "file"]) {
        (None, parsed.operands.as_slice())
    } else {
        match parsed.operands.split_first() {
            Some((script, files)) => (Some(*script), files),
            None => (None, &[][..]),
        }
    };
    if let Some(script) = script
        && script.is_literal()
        && let Some(commands) = literal_system_calls(&script.text)
    {
        // `awk 'BEGIN { system("date") }'`: the commands are literal shell code.
        for command in commands {
            super::code::run_code(walker, &Arg::literal(command), program, &Stream::Inherited);
        }
        for file in files {
            if !file.text.contains('=') {
                walker.add_path(file, TargetKind::Read, program);
            }
        }
        return Stream::output_of(program);
    }
    if let Some(script) = script {
        let text = script.text.as_str();
        let runs_commands = text.contains("system")
            || text.contains("getline")
            || text.contains("| \"")
            || text.contains("|\"");
        if text.contains("/inet/tcp/") || text.contains("/inet/udp/") {
            // gawk's network special files: `|&` to one is a socket.
            walker.action.add_category(crate::Category::Network);
            if runs_commands {
                super::exfil::reverse_shell(
                    walker,
                    &format!("`{program}` runs commands it reads from a /inet socket"),
                );
            }
        }
        if runs_commands || !script.is_literal() {
            walker.opaque(format!(
                "the `{program}` program may run commands, which is not analysed"
            ));
        }
    }
    for file in files {
        if !file.text.contains('=') {
            walker.add_path(file, TargetKind::Read, program);
        }
    }
    Stream::output_of(program)
}
