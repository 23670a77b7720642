//! Programs that use the network: `curl`, `wget`, `ssh`, `scp`, `rsync`, `nc`,
//! `git` (clone, fetch, pull, push: see `git`) and package managers that download. Each puts
//! the action in the `network` category, adds the URLs and hosts it names as
//! network targets, and the local files it reads or writes as file targets.

use super::args::{OptionSpec, Parsed, parse};
use super::walk::{Stream, Walker};
use super::words::Arg;
use super::{code, exfil};
use crate::{Category, TargetKind};

const CURL: OptionSpec = OptionSpec::new(
    "AbcCdDeEFHKmoPQrtTuUwxXYyz",
    &[
        "data",
        "data-ascii",
        "data-binary",
        "data-raw",
        "data-urlencode",
        "json",
        "output",
        "output-dir",
        "upload-file",
        "form",
        "form-string",
        "header",
        "request",
        "user",
        "user-agent",
        "referer",
        "config",
        "cookie",
        "cookie-jar",
        "url",
        "proxy",
        "max-time",
        "connect-timeout",
        "write-out",
        "dump-header",
        "range",
        "retry",
        "cacert",
        "cert",
        "key",
        "netrc-file",
        "trace",
        "trace-ascii",
        "stderr",
        "resolve",
        "connect-to",
        "interface",
        "oauth2-bearer",
    ],
);
const WGET: OptionSpec = OptionSpec::new(
    "aABDeIilOoPQRtTUwX",
    &[
        "output-document",
        "output-file",
        "append-output",
        "input-file",
        "directory-prefix",
        "user-agent",
        "execute",
        "tries",
        "timeout",
        "wait",
        "quota",
        "level",
        "domains",
        "accept",
        "reject",
        "header",
        "post-data",
        "post-file",
        "body-data",
        "body-file",
        "method",
        "user",
        "password",
        "load-cookies",
        "save-cookies",
        "ca-certificate",
        "certificate",
        "private-key",
        "referer",
    ],
);
const SSH: OptionSpec = OptionSpec::new("BbcDEeFIiJLlmOoPpQRSWw", &[]).stopping();
const SCP: OptionSpec = OptionSpec::new("cDFiJloPSX", &[]);
const SFTP: OptionSpec = OptionSpec::new("bBcDFiJloPRsS", &[]).stopping();
const NETCAT: OptionSpec = OptionSpec::new("ceIiMmOoPpsTVWwXx", &[]);
const HTTPIE: OptionSpec = OptionSpec::new(
    "aAo",
    &[
        "auth",
        "auth-type",
        "output",
        "session",
        "session-read-only",
        "cert",
        "cert-key",
        "proxy",
        "timeout",
    ],
);
const RSYNC: OptionSpec = OptionSpec::new(
    "efTBM",
    &[
        "rsh",
        "exclude",
        "include",
        "filter",
        "files-from",
        "exclude-from",
        "include-from",
        "temp-dir",
        "backup-dir",
        "log-file",
        "password-file",
        "port",
        "partial-dir",
        "compare-dest",
        "copy-dest",
        "link-dest",
        "chmod",
        "chown",
        "timeout",
        "bwlimit",
        "out-format",
        "suffix",
        "rsync-path",
        "max-size",
        "min-size",
    ],
);
/// Package managers and the subcommands of theirs that download.
const DOWNLOADING_SUBCOMMANDS: &[(&str, &[&str])] = &[
    (
        "apt",
        &[
            "install",
            "update",
            "upgrade",
            "full-upgrade",
            "dist-upgrade",
            "download",
        ],
    ),
    (
        "apt-get",
        &[
            "install",
            "update",
            "upgrade",
            "dist-upgrade",
            "download",
            "source",
        ],
    ),
    (
        "brew",
        &["install", "upgrade", "update", "fetch", "reinstall", "tap"],
    ),
    (
        "cargo",
        &["install", "fetch", "update", "publish", "search"],
    ),
    ("docker", &["pull", "push", "login", "search"]),
    ("podman", &["pull", "push", "login", "search"]),
    ("gem", &["install", "update", "push", "fetch"]),
    ("go", &["get", "install", "mod"]),
    (
        "npm",
        &["install", "i", "ci", "add", "update", "publish", "exec"],
    ),
    ("pnpm", &["install", "i", "add", "update", "dlx", "publish"]),
    ("yarn", &["install", "add", "upgrade", "dlx", "publish"]),
    ("pip", &["install", "download", "wheel"]),
    ("pip3", &["install", "download", "wheel"]),
    ("pipx", &["install", "run", "upgrade"]),
    ("uv", &["add", "sync", "lock", "pip", "tool"]),
];

/// Applies the rule of a network program, if `program` is one.
pub(super) fn run(walker: &mut Walker<'_>, program: &str, args: &[Arg]) -> Option<Stream> {
    let output = match program {
        "curl" => curl(walker, args),
        "wget" => wget(walker, args),
        "ssh" => ssh(walker, args),
        "sftp" | "ftp" | "telnet" => {
            let spec = if program == "sftp" {
                SFTP
            } else {
                OptionSpec::NONE
            };
            let parsed = parse(args, &spec);
            walker.action.add_category(Category::Network);
            read_values(walker, program, &parsed, &["b", "F", "i"]);
            if let Some(host) = parsed.operands.first() {
                walker.add_network(host, program);
            }
            Stream::Remote(format!("the output of `{program}`"))
        }
        "nc" | "ncat" | "netcat" => netcat(walker, program, args),
        "socat" => socat(walker, args),
        "http" | "https" | "xh" => httpie(walker, program, args),
        "scp" => scp(walker, args),
        "rsync" => rsync(walker, args),
        "git" => super::git::run(walker, args),
        _ => {
            let (_, subcommands) = DOWNLOADING_SUBCOMMANDS
                .iter()
                .find(|(name, _)| *name == program)?;
            let subcommand = args.iter().find(|arg| !arg.text.starts_with('-'));
            if subcommand.is_some_and(|subcommand| subcommands.contains(&subcommand.text.as_str()))
            {
                walker.action.add_category(Category::Network);
            }
            Stream::output_of(program)
        }
    };
    Some(output)
}

/// How a network program's options are written (`git` has subcommands: none).
pub(super) fn option_spec(program: &str) -> Option<OptionSpec> {
    let spec = match program {
        "curl" => CURL,
        "wget" => WGET,
        "ssh" => SSH,
        "scp" => SCP,
        "sftp" => SFTP,
        "nc" | "ncat" | "netcat" => NETCAT,
        "http" | "https" | "xh" => HTTPIE,
        "rsync" => RSYNC,
        _ => return None,
    };
    Some(spec)
}

/// Whether a program prints what it gets from the network.
pub(super) fn is_fetcher(program: &str) -> bool {
    matches!(
        program,
        "curl"
            | "wget"
            | "fetch"
            | "http"
            | "https"
            | "xh"
            | "nc"
            | "ncat"
            | "netcat"
            | "socat"
            | "ssh"
    )
}

/// Whether an argument is a URL (`scheme://…`).
pub(super) fn is_url(text: &str) -> bool {
    text.split_once("://").is_some_and(|(scheme, _)| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

/// Whether an argument of `scp`/`rsync`/`git` is a remote `[user@]host:path`.
pub(super) fn is_remote_path(text: &str) -> bool {
    if is_url(text) {
        return true;
    }
    text.split_once(':').is_some_and(|(host, _)| {
        !host.is_empty() && !host.contains('/') && !text.starts_with(['/', '.', '~'])
    })
}

/// Adds the values of the named options as read targets.
fn read_values(walker: &mut Walker<'_>, program: &str, parsed: &Parsed<'_>, names: &[&str]) {
    for value in parsed.values(names) {
        if value.text != "-" {
            walker.add_path(&value.to_arg(), TargetKind::Read, program);
        }
    }
}

/// Adds the values of the named options as write targets.
fn write_values(walker: &mut Walker<'_>, program: &str, parsed: &Parsed<'_>, names: &[&str]) {
    for value in parsed.values(names) {
        if value.text != "-" {
            walker.add_path(&value.to_arg(), TargetKind::Write, program);
        }
    }
}

/// The file name a download of `url` is saved under (`curl -O`, `wget`).
fn remote_name(url: &str) -> Option<&str> {
    let path = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = path.split(['?', '#']).next().unwrap_or("");
    let (_, name) = path.rsplit_once('/')?;
    (!name.is_empty()).then_some(name)
}

fn curl(walker: &mut Walker<'_>, args: &[Arg]) -> Stream {
    let parsed = parse(args, &CURL);
    walker.action.add_category(Category::Network);
    let mut urls: Vec<Arg> = parsed.operands.iter().map(|url| (*url).clone()).collect();
    urls.extend(parsed.values(&["url"]).map(|url| url.to_arg()));
    for url in &urls {
        walker.add_network(url, "curl");
    }
    let to_stdout = parsed
        .values(&["o", "output"])
        .all(|output| output.text == "-");
    write_values(walker, "curl", &parsed, &["o", "output"]);
    for output in parsed.values(&["o", "output"]) {
        walker.note_download(&output.to_arg());
    }
    write_values(
        walker,
        "curl",
        &parsed,
        &[
            "D",
            "dump-header",
            "c",
            "cookie-jar",
            "trace",
            "trace-ascii",
            "stderr",
        ],
    );
    let remote_names = parsed.has(&["O", "remote-name", "remote-name-all"]);
    if remote_names {
        let directory = parsed.value(&["output-dir"]).map(|value| value.to_arg());
        walker.in_directory(directory.as_ref(), |walker| {
            for url in &urls {
                if let Some(name) = remote_name(&url.text) {
                    let file = Arg {
                        text: name.to_owned(),
                        origin: url.origin,
                    };
                    walker.note_download(&file);
                    walker.add_path(&file, TargetKind::Write, "curl");
                }
            }
        });
    }
    // `-d @FILE`, `--data-urlencode name@FILE`, `-F field=@FILE` send a file.
    for data in parsed.values(&["d", "data", "data-ascii", "data-binary", "json"]) {
        if let Some(file) = data.text.strip_prefix('@') {
            read_file(walker, file, data.origin);
        }
    }
    for data in parsed.values(&["data-urlencode"]) {
        if let Some((_, file)) = data.text.split_once('@') {
            read_file(walker, file, data.origin);
        }
    }
    for form in parsed.values(&["F", "form"]) {
        if let Some((_, value)) = form.text.split_once('=')
            && let Some(file) = value.strip_prefix(['@', '<'])
        {
            read_file(walker, file.split(';').next().unwrap_or(file), form.origin);
        }
    }
    read_values(
        walker,
        "curl",
        &parsed,
        &["K", "config", "cacert", "cert", "E", "key", "netrc-file"],
    );
    for upload in parsed.values(&["T", "upload-file"]) {
        read_file(walker, upload.text, upload.origin);
    }
    if to_stdout && !remote_names {
        Stream::Remote("the output of `curl`".to_owned())
    } else {
        Stream::empty()
    }
}

/// A file `curl` uploads (`-d @FILE`, `-F f=@FILE`, `-T FILE`).
fn read_file(walker: &mut Walker<'_>, file: &str, origin: super::words::Origin) {
    if file != "-" {
        let file = Arg {
            text: file.to_owned(),
            origin,
        };
        exfil::sent_file(walker, &file, "curl");
    }
}

fn wget(walker: &mut Walker<'_>, args: &[Arg]) -> Stream {
    let parsed = parse(args, &WGET);
    walker.action.add_category(Category::Network);
    for url in &parsed.operands {
        walker.add_network(url, "wget");
    }
    for document in parsed.values(&["O", "output-document"]) {
        walker.note_download(&document.to_arg());
    }
    let document = parsed.value(&["O", "output-document"]);
    let to_stdout = document.is_some_and(|document| {
        matches!(
            document.text,
            "-" | "/dev/stdout" | "/dev/fd/1" | "/proc/self/fd/1"
        )
    });
    write_values(
        walker,
        "wget",
        &parsed,
        &[
            "O",
            "output-document",
            "o",
            "output-file",
            "a",
            "append-output",
            "save-cookies",
        ],
    );
    read_values(
        walker,
        "wget",
        &parsed,
        &[
            "i",
            "input-file",
            "load-cookies",
            "ca-certificate",
            "certificate",
            "private-key",
        ],
    );
    for upload in parsed.values(&["post-file", "body-file"]) {
        exfil::sent_file(walker, &upload.to_arg(), "wget");
    }
    if document.is_none() {
        let prefix = parsed
            .value(&["P", "directory-prefix"])
            .map(|value| value.to_arg());
        walker.in_directory(prefix.as_ref(), |walker| {
            for url in &parsed.operands {
                let name = remote_name(&url.text).unwrap_or("index.html");
                let file = Arg {
                    text: name.to_owned(),
                    origin: url.origin,
                };
                walker.note_download(&file);
                walker.add_path(&file, TargetKind::Write, "wget");
            }
        });
    }
    if to_stdout {
        Stream::Remote("the output of `wget`".to_owned())
    } else {
        Stream::empty()
    }
}

/// `ssh [OPTION]... HOST [COMMAND]`: the command runs on the host, not here, but a
/// `ProxyCommand` or `LocalCommand` runs here.
fn ssh(walker: &mut Walker<'_>, args: &[Arg]) -> Stream {
    let parsed = parse(args, &SSH);
    walker.action.add_category(Category::Network);
    read_values(walker, "ssh", &parsed, &["F", "i"]);
    for option in parsed.values(&["o"]) {
        let text = option.text;
        let Some((key, value)) = text.split_once(['=', ' ']) else {
            continue;
        };
        if key.eq_ignore_ascii_case("ProxyCommand") || key.eq_ignore_ascii_case("LocalCommand") {
            let command = Arg {
                text: value.trim().to_owned(),
                origin: option.origin,
            };
            code::run_code(walker, &command, "ssh -o ProxyCommand", &Stream::Inherited);
        }
    }
    if let Some(host) = parsed.operands.first() {
        walker.add_network(host, "ssh");
        let command = args.get(parsed.rest + 1..).unwrap_or_default();
        if !command.is_empty() {
            code::run_remote(walker, command, &host.text);
        }
    }
    Stream::Remote("the output of `ssh`".to_owned())
}

/// `nc`, `ncat`: `-e PROGRAM` and `-c COMMAND` run here, connected to the peer.
fn netcat(walker: &mut Walker<'_>, program: &str, args: &[Arg]) -> Stream {
    let parsed = parse(args, &NETCAT);
    walker.action.add_category(Category::Network);
    if let Some(host) = parsed.operands.iter().find(|operand| {
        !operand.text.starts_with(|c: char| c.is_ascii_digit()) || operand.text.contains('.')
    }) {
        walker.add_network(host, program);
    }
    for executed in parsed.values(&["e"]) {
        walker.add_path(&executed.to_arg(), TargetKind::Execute, program);
        walker.opaque(format!(
            "`{program} -e` gives a network peer the program `{}`",
            executed.text
        ));
    }
    for command in parsed.values(&["c"]) {
        code::run_code(
            walker,
            &command.to_arg(),
            &format!("{program} -c"),
            &Stream::Inherited,
        );
    }
    if program == "ncat" {
        write_values(walker, program, &parsed, &["o"]);
    }
    Stream::Remote(format!("the output of `{program}`"))
}

/// `socat ADDRESS ADDRESS`: `EXEC:` and `SYSTEM:` addresses run commands.
fn socat(walker: &mut Walker<'_>, args: &[Arg]) -> Stream {
    walker.action.add_category(Category::Network);
    for address in args
        .iter()
        .filter(|arg| !arg.text.starts_with('-') || arg.text.len() == 1)
    {
        let text = address.text.as_str();
        let lower = text.get(..7).unwrap_or(text).to_ascii_lowercase();
        if lower.starts_with("exec:") || lower.starts_with("system:") {
            let command = text.split_once(':').map_or("", |(_, command)| command);
            let command = command.split(',').next().unwrap_or(command);
            let command = Arg {
                text: command.to_owned(),
                origin: address.origin,
            };
            code::run_code(walker, &command, "socat", &Stream::Inherited);
        } else if let Some(file) = ["file:", "open:", "gopen:", "create:"]
            .iter()
            .find(|prefix| lower.starts_with(**prefix))
            .and_then(|_| text.split_once(':'))
            .map(|(_, file)| file.split(',').next().unwrap_or(file))
        {
            // `socat FILE:~/.ssh/id_rsa TCP:host:port` sends the file.
            let file = Arg {
                text: file.to_owned(),
                origin: address.origin,
            };
            exfil::sent_file(walker, &file, "socat");
        } else if text != "-" && !lower.starts_with("stdio") {
            walker.add_network(address, "socat");
        }
    }
    Stream::Remote("the output of `socat`".to_owned())
}

/// HTTPie (`http`, `https`, `xh`): `[METHOD] URL [ITEM]...`; `field@FILE` uploads.
fn httpie(walker: &mut Walker<'_>, program: &str, args: &[Arg]) -> Stream {
    let parsed = parse(args, &HTTPIE);
    walker.action.add_category(Category::Network);
    write_values(walker, program, &parsed, &["o", "output"]);
    let mut operands = parsed.operands.iter().peekable();
    if operands.peek().is_some_and(|method| {
        !method.text.is_empty() && method.text.chars().all(|c| c.is_ascii_uppercase())
    }) {
        operands.next();
    }
    if let Some(url) = operands.next() {
        walker.add_network(url, program);
    }
    for item in operands {
        if let Some((_, file)) = item.text.split_once('@')
            && !item.text.contains("=@")
        {
            let file = Arg {
                text: file.to_owned(),
                origin: item.origin,
            };
            exfil::sent_file(walker, &file, program);
        }
    }
    Stream::Remote(format!("the output of `{program}`"))
}

/// `scp SOURCE... DEST`: remote `host:path` arguments are network targets, local
/// sources are read, a local destination is written.
fn scp(walker: &mut Walker<'_>, args: &[Arg]) -> Stream {
    let parsed = parse(args, &SCP);
    walker.action.add_category(Category::Network);
    read_values(walker, "scp", &parsed, &["F", "i"]);
    if let Some((destination, sources)) = parsed.operands.split_last() {
        let uploads = destination.is_literal() && is_remote_path(&destination.text);
        for source in sources {
            if uploads && !(source.is_literal() && is_remote_path(&source.text)) {
                exfil::sent_file(walker, source, "scp");
            } else {
                remote_or_local(walker, "scp", source, TargetKind::Read);
            }
        }
        remote_or_local(walker, "scp", destination, TargetKind::Write);
    }
    Stream::output_of("scp")
}

pub(super) fn remote_or_local(
    walker: &mut Walker<'_>,
    program: &str,
    path: &Arg,
    local: TargetKind,
) {
    if path.is_literal() && is_remote_path(&path.text) {
        walker.add_network(path, program);
    } else {
        walker.add_path(path, local, program);
    }
}

/// `rsync SOURCE... DEST`, like `cp`, with remote paths as network targets;
/// `--delete` deletes in the destination, `--remove-source-files` the sources.
fn rsync(walker: &mut Walker<'_>, args: &[Arg]) -> Stream {
    let parsed = parse(args, &RSYNC);
    read_values(
        walker,
        "rsync",
        &parsed,
        &[
            "files-from",
            "exclude-from",
            "include-from",
            "password-file",
        ],
    );
    write_values(walker, "rsync", &parsed, &["log-file"]);
    for shell in parsed.values(&["e", "rsh"]) {
        code::run_code(walker, &shell.to_arg(), "rsync -e", &Stream::Inherited);
    }
    let deletes_in_destination = parsed
        .options
        .iter()
        .any(|option| option.name == "del" || option.name.starts_with("delete"));
    let deletes_sources = parsed.has(&["remove-source-files"]);
    if let Some((destination, sources)) = parsed.operands.split_last() {
        let uploads = destination.is_literal() && is_remote_path(&destination.text);
        for source in sources {
            if uploads && !(source.is_literal() && is_remote_path(&source.text)) {
                exfil::sent_file(walker, source, "rsync");
            } else {
                remote_or_local(walker, "rsync", source, TargetKind::Read);
            }
            if deletes_sources && !is_remote_path(&source.text) {
                walker.add_path(source, TargetKind::Delete, "rsync");
            }
        }
        remote_or_local(walker, "rsync", destination, TargetKind::Write);
        if deletes_in_destination && !is_remote_path(&destination.text) {
            walker.add_path(destination, TargetKind::Delete, "rsync");
        }
    }
    Stream::output_of("rsync")
}
