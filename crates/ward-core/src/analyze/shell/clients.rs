//! Database clients: the SQL given to `psql`, `mysql`, `sqlite3` and `duckdb`, the
//! commands given to `redis-cli`, and the scripts given to `mongosh`, whether on the
//! command line (`-c`, `-e`, `--eval`), in a heredoc or through a pipe of known
//! text. What they would destroy becomes findings (see `analyze::database`); SQL
//! that only a file or another program's output holds is not seen, and SQL fed on
//! stdin from an unknown source marks the action opaque.

use super::args::{OptionSpec, parse};
use super::walk::{Stream, Walker};
use super::words::{Arg, Origin};
use crate::TargetKind;
use crate::analyze::database::{DbAnalysis, SqlDialect, analyze_mongo, analyze_redis, analyze_sql};

const PSQL: OptionSpec = OptionSpec::new(
    "cdfhpUvoLPFRT",
    &[
        "command",
        "dbname",
        "file",
        "host",
        "port",
        "username",
        "set",
        "variable",
        "output",
        "log-file",
        "pset",
        "field-separator",
        "record-separator",
        "table-attr",
    ],
);
const MYSQL: OptionSpec = OptionSpec::new(
    "eDhuPSOW",
    &[
        "execute",
        "database",
        "host",
        "user",
        "port",
        "socket",
        "defaults-file",
        "defaults-extra-file",
        "init-command",
        "login-path",
        "protocol",
        "default-character-set",
    ],
)
.attached("p");
const SQLITE: OptionSpec = OptionSpec::new(
    "",
    &[
        "cmd",
        "init",
        "separator",
        "newline",
        "nullvalue",
        "vfs",
        "mmap",
        "maxsize",
    ],
);
const DUCKDB: OptionSpec = OptionSpec::new("cs", &["cmd", "init", "separator", "nullvalue"]);
const MONGO: OptionSpec = OptionSpec::new(
    "uph",
    &[
        "eval",
        "host",
        "port",
        "username",
        "password",
        "authenticationDatabase",
        "authenticationMechanism",
        "file",
        "tlsCAFile",
        "tlsCertificateKeyFile",
    ],
);
const CLICKHOUSE: OptionSpec = OptionSpec::new(
    "qhPudf",
    &[
        "query",
        "host",
        "port",
        "user",
        "password",
        "database",
        "format",
        "queries-file",
        "config-file",
    ],
);
const REDIS: OptionSpec = OptionSpec::new("hpsaunrixdD", &["user", "pass", "askpass", "tls"]);

/// Applies the rule of a database client, if `program` is one.
pub(super) fn run(
    walker: &mut Walker<'_>,
    program: &str,
    args: &[Arg],
    stdin: &Stream,
) -> Option<Stream> {
    match program {
        "psql" => {
            let parsed = parse(args, &PSQL);
            sql_scripts(
                walker,
                program,
                &parsed,
                &["f", "file"],
                SqlDialect::Postgres,
            );
            let commands: Vec<Arg> = parsed
                .values(&["c", "command"])
                .map(|value| value.to_arg())
                .collect();
            sql_texts(walker, program, &commands, stdin, SqlDialect::Postgres);
        }
        "clickhouse-client" | "clickhouse" => {
            let parsed = parse(args, &CLICKHOUSE);
            sql_scripts(
                walker,
                program,
                &parsed,
                &["queries-file"],
                SqlDialect::Generic,
            );
            let commands: Vec<Arg> = parsed
                .values(&["q", "query"])
                .map(|value| value.to_arg())
                .collect();
            sql_texts(walker, program, &commands, stdin, SqlDialect::Generic);
        }
        "mysql" | "mariadb" => {
            let parsed = parse(args, &MYSQL);
            let commands: Vec<Arg> = parsed
                .values(&["e", "execute", "init-command"])
                .map(|value| value.to_arg())
                .collect();
            sql_texts(walker, program, &commands, stdin, SqlDialect::MySql);
        }
        "sqlite3" | "sqlite" | "duckdb" => {
            let (spec, dialect) = if program == "duckdb" {
                (DUCKDB, SqlDialect::Generic)
            } else {
                (SQLITE, SqlDialect::Sqlite)
            };
            let parsed = parse(args, &spec);
            sql_scripts(walker, program, &parsed, &["init"], dialect);
            let mut operands = parsed.operands.iter();
            let database = operands.next();
            if let Some(database) = database {
                walker.add_path(database, TargetKind::Read, program);
            }
            let mut commands: Vec<Arg> = parsed
                .values(&["cmd", "c", "s"])
                .map(|value| value.to_arg())
                .collect();
            commands.extend(operands.map(|sql| (*sql).clone()));
            let findings_before = walker.action.findings.len();
            sql_texts(walker, program, &commands, stdin, dialect);
            // The database is a file here: destroying data in it writes the file
            // (so rules on the file, such as Ward's own ledger, apply).
            if walker.action.findings.len() > findings_before
                && let Some(database) = database
            {
                walker.add_path(database, TargetKind::Write, program);
            }
        }
        "sqlcmd" | "cockroach" | "trino" | "presto" | "bq" | "snowsql" | "usql" => {
            // `sqlcmd -Q SQL`, `cockroach sql --execute SQL`, `bq query SQL`.
            let mut commands = Vec::new();
            let mut words = args.iter();
            while let Some(word) = words.next() {
                let text = word.text.as_str();
                if let Some(sql) = text
                    .strip_prefix("--execute=")
                    .or_else(|| text.strip_prefix("--query="))
                {
                    commands.push(Arg {
                        text: sql.to_owned(),
                        origin: word.origin,
                    });
                } else if matches!(
                    text,
                    "-Q" | "-q" | "-e" | "--execute" | "--query" | "-c" | "--command"
                ) && let Some(sql) = words.next()
                {
                    commands.push(sql.clone());
                } else if program == "bq" && text == "query" {
                    commands.extend(
                        words
                            .by_ref()
                            .filter(|arg| !arg.text.starts_with('-'))
                            .cloned(),
                    );
                }
            }
            sql_texts(walker, program, &commands, stdin, SqlDialect::Generic);
        }
        "redis-cli" | "valkey-cli" | "keydb-cli" => {
            let parsed = parse(args, &REDIS);
            let words = args.get(parsed.rest..).unwrap_or_default();
            if words.iter().all(Arg::is_literal) {
                let words: Vec<&str> = words.iter().map(|word| word.text.as_str()).collect();
                let analysis = analyze_redis(&words, walker.action);
                note_unparsed(walker, program, analysis);
            } else {
                walker.opaque(format!(
                    "the command given to `{program}` is only known when the line runs"
                ));
            }
            if words.is_empty() {
                stdin_text(walker, program, stdin, |text, action| {
                    let mut found = DbAnalysis { unparsed: None };
                    for line in text.lines() {
                        let words: Vec<&str> = line.split_whitespace().collect();
                        let analysis = analyze_redis(&words, action);
                        found.unparsed = found.unparsed.or(analysis.unparsed);
                    }
                    found
                });
            }
        }
        "mongo" | "mongosh" => {
            let parsed = parse(args, &MONGO);
            for script in parsed.values(&["eval"]) {
                let script = script.to_arg();
                if script.is_literal() {
                    let analysis = analyze_mongo(&script.text, walker.action);
                    note_unparsed(walker, program, analysis);
                } else {
                    walker.opaque(format!(
                        "the script given to `{program}` is only known when the line runs"
                    ));
                }
            }
            for file in parsed.values(&["file"]) {
                walker.add_path(&file.to_arg(), TargetKind::Execute, program);
            }
            for operand in parsed
                .operands
                .iter()
                .filter(|arg| arg.text.ends_with(".js"))
            {
                walker.add_path(operand, TargetKind::Execute, program);
            }
            if !parsed.has(&["eval"]) {
                stdin_text(walker, program, stdin, analyze_mongo);
            }
        }
        _ => return None,
    }
    Some(Stream::output_of(program))
}

/// How a database client's options are written.
pub(super) fn option_spec(program: &str) -> Option<OptionSpec> {
    Some(match program {
        "psql" => PSQL,
        "mysql" | "mariadb" => MYSQL,
        "sqlite3" | "sqlite" => SQLITE,
        "duckdb" => DUCKDB,
        "clickhouse-client" | "clickhouse" => CLICKHOUSE,
        "mongo" | "mongosh" => MONGO,
        "redis-cli" | "valkey-cli" | "keydb-cli" => REDIS,
        _ => return None,
    })
}

/// SQL script files (`psql -f`): run, like a shell script, not read here.
fn sql_scripts(
    walker: &mut Walker<'_>,
    program: &str,
    parsed: &super::args::Parsed<'_>,
    names: &[&str],
    dialect: SqlDialect,
) {
    for file in parsed.values(names) {
        if file.text != "-" {
            let file = file.to_arg();
            walker.add_path(&file, TargetKind::Execute, program);
            // A file the line wrote (`echo 'DROP …' > q.sql && psql -f q.sql`).
            if let Some(sql) = walker.written_text(&file) {
                let analysis = analyze_sql(&sql.text, dialect, walker.action);
                note_unparsed(walker, program, analysis);
            }
        }
    }
}

/// SQL given on the command line, or else on stdin.
fn sql_texts(
    walker: &mut Walker<'_>,
    program: &str,
    commands: &[Arg],
    stdin: &Stream,
    dialect: SqlDialect,
) {
    for command in commands {
        if command.is_literal() {
            let analysis = analyze_sql(&command.text, dialect, walker.action);
            note_unparsed(walker, program, analysis);
        } else {
            hidden_or_unknown(walker, program, command.origin);
        }
    }
    if commands.is_empty() {
        stdin_text(walker, program, stdin, |text, action| {
            analyze_sql(text, dialect, action)
        });
    }
}

/// SQL only known when the line runs. Decoded from a form nobody reads
/// (`mysql -e "$(echo … | base64 -d)"`) it is hidden code, and fetched from the
/// network remote code, as for a shell.
fn hidden_or_unknown(walker: &mut Walker<'_>, program: &str, origin: Origin) {
    match origin {
        Origin::Hidden => {
            walker.action.add_tag("hidden-code");
            walker.opaque(format!(
                "hidden code: the SQL given to `{program}` is decoded when the line runs"
            ));
        }
        Origin::Remote | Origin::Pipe { remote: true } => {
            walker.action.add_tag("remote-code");
            walker.opaque(format!(
                "remote code: the SQL given to `{program}` is fetched from the network"
            ));
        }
        _ => walker.opaque(format!(
            "the SQL given to `{program}` is only known when the line runs"
        )),
    }
}

/// What a client reads on stdin: known text is analysed, a file is run, anything
/// else is opaque.
fn stdin_text(
    walker: &mut Walker<'_>,
    program: &str,
    stdin: &Stream,
    analyze: impl FnOnce(&str, &mut crate::Action) -> DbAnalysis,
) {
    match stdin {
        Stream::Inherited => {}
        Stream::Text(text) => {
            let analysis = analyze(text, walker.action);
            note_unparsed(walker, program, analysis);
        }
        Stream::File(path) => {
            walker.action.add_target(path.clone(), TargetKind::Execute);
            if let Some(text) = walker.written_text_at(path) {
                let analysis = analyze(&text.text, walker.action);
                note_unparsed(walker, program, analysis);
            }
        }
        Stream::Remote(source) | Stream::Hidden(source) | Stream::Unknown(source) => {
            walker.opaque(format!(
                "`{program}` runs statements from {source}, which are not analysed"
            ));
        }
    }
}

/// The ports Redis and its sentinels listen on by default.
const REDIS_PORTS: [&str; 3] = ["6379", "6380", "26379"];

/// Known text written with a raw socket program (`nc`, `ncat`, `socat`, `telnet`)
/// to a Redis port is Redis commands, as `redis-cli` would send them:
/// `printf 'FLUSHALL\r\n' | nc localhost 6379`. Lines of the wire protocol's
/// framing (`*1`, `$8`) are skipped.
pub(super) fn raw_redis(walker: &mut Walker<'_>, program: &str, args: &[Arg], stdin: &Stream) {
    // `6379`, `HOST:6379`, `TCP:HOST:6379`, `/dev/tcp/HOST/6379`.
    let to_redis = args.iter().any(|arg| {
        arg.text
            .rsplit([':', '/'])
            .next()
            .is_some_and(|port| REDIS_PORTS.contains(&port))
    });
    let Stream::Text(text) = stdin else {
        return;
    };
    if !to_redis {
        return;
    }
    let mut found = DbAnalysis { unparsed: None };
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with(['*', '$']) {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let analysis = analyze_redis(&words, walker.action);
        found.unparsed = found.unparsed.or(analysis.unparsed);
    }
    note_unparsed(walker, program, found);
}

fn note_unparsed(walker: &mut Walker<'_>, program: &str, analysis: DbAnalysis) {
    if let Some(reason) = analysis.unparsed {
        walker.opaque(format!("`{program}`: {reason}"));
    }
}
