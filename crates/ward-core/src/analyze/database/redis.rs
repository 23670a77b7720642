//! `redis-cli` commands: `FLUSHALL` and `FLUSHDB`, typed directly, through
//! `--cluster call`, or inside a Lua script given to `EVAL`.

use super::{DROP_DATABASE, FLUSH, Found, Outcome};

/// redis-cli options followed by a value.
const OPTIONS_WITH_VALUE: [&str; 28] = [
    "-h",
    "-p",
    "-s",
    "-a",
    "-u",
    "-r",
    "-i",
    "-n",
    "-d",
    "-D",
    "-t",
    "-X",
    "--user",
    "--pass",
    "--sni",
    "--cacert",
    "--cacertdir",
    "--cert",
    "--key",
    "--tls-ciphers",
    "--tls-ciphersuites",
    "--rdb",
    "--functions-rdb",
    "--pipe-timeout",
    "--pattern",
    "--quoted-pattern",
    "--count",
    "--intrinsic-latency",
];

/// Analyses redis-cli's words after its program name.
pub(super) fn analyze(words: &[&str]) -> Outcome {
    let mut outcome = Outcome::default();
    let mut database = "0".to_owned();
    let mut index = 0;
    while let Some(&word) = words.get(index) {
        if !word.starts_with('-') || word == "-" {
            break;
        }
        let value = words.get(index + 1).copied();
        match word {
            "-n" => {
                if let Some(number) = value {
                    number.clone_into(&mut database);
                }
            }
            "-u" => {
                // `redis://host:6379/3`: the path names the database.
                let path = value
                    .and_then(|uri| uri.split_once("://"))
                    .map(|(_, rest)| rest);
                if let Some((_, number)) = path.and_then(|rest| rest.split_once('/'))
                    && !number.is_empty()
                    && number.bytes().all(|b| b.is_ascii_digit())
                {
                    number.clone_into(&mut database);
                }
            }
            "--eval" => {
                let script = value.unwrap_or("a file");
                outcome.note_unparsed(format!(
                    "runs the Lua script in {script}, which Ward cannot see"
                ));
                return outcome;
            }
            "--cluster" => {
                // `--cluster call HOST:PORT COMMAND …` runs COMMAND on every node.
                if value.is_some_and(|sub| sub.eq_ignore_ascii_case("call")) {
                    command(
                        words.get(index + 3..).unwrap_or_default(),
                        &database,
                        &mut outcome,
                    );
                }
                return outcome;
            }
            _ => {}
        }
        index += if OPTIONS_WITH_VALUE.contains(&word) {
            2
        } else {
            1
        };
    }
    command(
        words.get(index..).unwrap_or_default(),
        &database,
        &mut outcome,
    );
    outcome
}

/// One Redis command and its arguments.
fn command(words: &[&str], database: &str, outcome: &mut Outcome) {
    let Some(name) = words.first() else {
        return;
    };
    let name = name.to_ascii_uppercase();
    match name.as_str() {
        "FLUSHALL" => outcome.found.push(flushall()),
        "FLUSHDB" => outcome.found.push(flushdb(database)),
        "EVAL" | "EVAL_RO" => {
            if let Some(script) = words.get(1) {
                script_commands(script, database, outcome);
            }
        }
        "EVALSHA" | "EVALSHA_RO" | "FCALL" | "FCALL_RO" => {
            outcome.note_unparsed(format!(
                "{name} runs a script stored in the server, which Ward cannot see"
            ));
        }
        _ => {}
    }
}

/// Flush commands a Lua script calls (`redis.call('FLUSHALL')`): a word search, as
/// Lua strings are the only way a script names a command.
fn script_commands(script: &str, database: &str, outcome: &mut Outcome) {
    let lowered = script.to_ascii_lowercase();
    if lowered.contains("flushall") {
        outcome.found.push(flushall());
    }
    if lowered.contains("flushdb") {
        outcome.found.push(flushdb(database));
    }
}

fn flushall() -> Found {
    Found::new(
        DROP_DATABASE,
        Some("*".to_owned()),
        "FLUSHALL: every key of every database".to_owned(),
    )
}

fn flushdb(database: &str) -> Found {
    Found::new(
        FLUSH,
        Some(database.to_owned()),
        format!("FLUSHDB: every key of database {database}"),
    )
}
