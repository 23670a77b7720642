//! `docker run` and `podman run` with bind mounts: the command runs in the
//! container, where its paths are the container's, but what it does under a
//! bind-mounted directory it does to the host's directory.
//! `docker run --rm -v ~:/h alpine rm -rf /h` deletes the home directory. The
//! command is analysed as running elsewhere, and its targets under a mount are
//! mapped back to the host's paths.

use super::walk::Walker;
use super::words::Arg;
use crate::TargetKind;
use crate::analyze::paths::expand_home;

/// `docker run` options that take a value as the next word.
const WITH_VALUE: [&str; 44] = [
    "-v",
    "--volume",
    "--mount",
    "-e",
    "--env",
    "--env-file",
    "-w",
    "--workdir",
    "--name",
    "-p",
    "--publish",
    "--network",
    "--net",
    "-u",
    "--user",
    "--entrypoint",
    "-l",
    "--label",
    "--platform",
    "-m",
    "--memory",
    "--cpus",
    "-h",
    "--hostname",
    "--add-host",
    "--device",
    "--cap-add",
    "--cap-drop",
    "--security-opt",
    "--restart",
    "--tmpfs",
    "--ulimit",
    "--log-driver",
    "--log-opt",
    "--pull",
    "--stop-signal",
    "--shm-size",
    "--ipc",
    "--pid",
    "--userns",
    "--gpus",
    "--runtime",
    "--volumes-from",
    "--cidfile",
];

/// A bind mount: the host's directory, the container's, and whether it is
/// read-only.
struct Mount {
    host: String,
    container: String,
    read_only: bool,
}

/// Maps the targets of a `docker run` / `podman run` command under its bind
/// mounts back to the host. Other subcommands, and runs without a bind mount or
/// a command, are left to the rest of the analysis.
pub(super) fn bind_mounted_run(walker: &mut Walker<'_>, program: &str, args: &[Arg]) {
    let Some(run) = args
        .iter()
        .position(|arg| !arg.text.starts_with('-'))
        .filter(|index| args.get(*index).is_some_and(|arg| arg.text == "run"))
    else {
        return;
    };
    let rest = args.get(run + 1..).unwrap_or_default();
    let mut mounts = Vec::new();
    let mut index = 0;
    while let Some(arg) = rest.get(index) {
        let text = arg.text.as_str();
        if !text.starts_with('-') {
            break;
        }
        let (name, value) = match text.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value.to_owned())),
            _ if WITH_VALUE.contains(&text) => {
                index += 1;
                (text, rest.get(index).map(|value| value.text.clone()))
            }
            _ => (text, None),
        };
        index += 1;
        let home = &walker.scope.context.home;
        match (name, value) {
            ("-v" | "--volume", Some(value)) => mounts.extend(volume(&value, home)),
            ("--mount", Some(value)) => mounts.extend(mount(&value, home)),
            _ => {}
        }
    }
    // The image, then the command.
    let command = rest.get(index + 1..).unwrap_or_default();
    if mounts.is_empty() || command.is_empty() || !command.iter().all(Arg::is_literal) {
        return;
    }
    // Docker passes the words as they are (no shell): quoted, they parse back
    // into the same words.
    let code = command
        .iter()
        .map(|word| quoted(&word.text))
        .collect::<Vec<_>>()
        .join(" ");
    let mut inside = crate::Action::default();
    walker.analyze_elsewhere(&code, &mut inside);
    for target in &inside.targets {
        for mount in &mounts {
            if mount.read_only && target.kind != TargetKind::Read {
                continue;
            }
            let Some(below) = target.path.strip_prefix(mount.container.as_str()) else {
                continue;
            };
            if !(below.is_empty() || below.starts_with('/')) {
                continue;
            }
            let host = format!("{}{below}", mount.host.trim_end_matches('/'));
            let host = if host.is_empty() {
                "/".to_owned()
            } else {
                host
            };
            walker.add_path(&Arg::literal(host), target.kind, program);
        }
    }
}

/// A word in single quotes, unless it needs none.
fn quoted(word: &str) -> String {
    let plain = !word.is_empty()
        && word.bytes().all(|byte| {
            byte.is_ascii_alphanumeric()
                || matches!(
                    byte,
                    b'/' | b'.' | b'_' | b'-' | b'=' | b':' | b',' | b'+' | b'@'
                )
        });
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// `-v HOST:CONTAINER[:OPTIONS]`; a named volume (no `/` in its name) is no bind.
fn volume(value: &str, home: &str) -> Option<Mount> {
    let mut parts = value.split(':');
    let host = parts.next()?;
    let container = parts.next()?;
    let options = parts.next().unwrap_or("");
    let host = expand_home(host, home);
    if !(host.starts_with('/') || host.starts_with('.')) || !container.starts_with('/') {
        return None;
    }
    Some(Mount {
        host,
        container: container.trim_end_matches('/').to_owned(),
        read_only: options.split(',').any(|option| option == "ro"),
    })
}

/// `--mount type=bind,source=HOST,target=CONTAINER[,readonly]`.
fn mount(value: &str, home: &str) -> Option<Mount> {
    let mut bind = false;
    let mut host = None;
    let mut container = None;
    let mut read_only = false;
    for field in value.split(',') {
        let (key, field_value) = field.split_once('=').unwrap_or((field, ""));
        match key {
            "type" => bind = field_value == "bind",
            "source" | "src" => host = Some(expand_home(field_value, home)),
            "target" | "destination" | "dst" => container = Some(field_value.to_owned()),
            "readonly" | "ro" => read_only = field_value.is_empty() || field_value == "true",
            _ => {}
        }
    }
    let (host, container) = (host?, container?);
    (bind && container.starts_with('/')).then(|| Mount {
        host,
        container: container.trim_end_matches('/').to_owned(),
        read_only,
    })
}
