//! How a call's name is resolved: the aliases that imports and assignments
//! create (`import subprocess as sp`, `const { exec } = require("child_process")`,
//! `from os import *`), Python's `getattr(os, "system")`, and the canonical form
//! the table matches (`fs.promises.rm` is `fs.rm`, PHP names in lower case).

use super::super::Language::{self, Php, Python};
use super::super::args::Arg;
use super::super::lex::Token;
use super::{LOADERS, Scanner};

/// Tokens an `import` statement may span.
const MAX_IMPORT: usize = 64;
/// Modules whose names may be imported wholesale (`from os import *`).
const MAX_STAR_MODULES: usize = 8;
/// Prefixes that add nothing to a name (`builtins.open` is `open`).
const NOISE_PREFIXES: &[&str] = &[
    "globalThis.",
    "global.",
    "window.",
    "builtins.",
    "__builtins__.",
    "Kernel.",
    "CORE.GLOBAL.",
    "CORE.",
];

/// Calls that make a client with the methods of its module, so that
/// `s = requests.Session(); s.get(url)` is `requests.get(url)`.
const CLIENTS: &[(&str, &str)] = &[
    ("requests.Session", "requests"),
    ("requests.session", "requests"),
    ("httpx.Client", "httpx"),
    ("httpx.AsyncClient", "httpx"),
    ("axios.create", "axios"),
];

impl<'t> Scanner<'t, '_> {
    pub(super) fn star_import(&mut self, module: String) {
        if self.context.star_modules.len() < MAX_STAR_MODULES {
            self.context.star_modules.push(module);
        }
    }

    /// A dotted name (`os.path`, `File::Path`): the name and the index after it.
    pub(super) fn dotted(&self, mut at: usize) -> Option<(String, usize)> {
        let Some(Token::Name(first)) = self.token(at) else {
            return None;
        };
        let mut name = first.clone();
        at += 1;
        while let (Some(Token::Dot), Some(Token::Name(next))) = (self.token(at), self.token(at + 1))
        {
            name.push('.');
            name.push_str(next);
            at += 2;
        }
        Some((name, at))
    }

    /// `import a.b as c, d`
    pub(super) fn python_import(&mut self, mut at: usize) -> usize {
        while let Some((module, next)) = self.dotted(at) {
            at = next;
            if self.is_name(at, "as")
                && let Some(Token::Name(local)) = self.token(at + 1)
            {
                self.context.aliases.insert(local.clone(), module);
                at += 2;
            }
            if !self.is_punct(at, b',') {
                break;
            }
            at += 1;
        }
        at
    }

    /// `from a.b import (c as d, e)` and `from a import *`
    pub(super) fn python_from(&mut self, mut at: usize) -> usize {
        while self.token(at) == Some(&Token::Dot) {
            at += 1;
        }
        let mut module = String::new();
        if !self.is_name(at, "import") {
            let Some((name, next)) = self.dotted(at) else {
                return at;
            };
            module = name;
            at = next;
        }
        if !self.is_name(at, "import") {
            return at;
        }
        at += 1;
        if self.is_punct(at, b'(') {
            at += 1;
        }
        loop {
            match self.token(at) {
                Some(Token::Punct(b'*')) => {
                    self.star_import(module);
                    return at + 1;
                }
                Some(Token::Name(name)) => {
                    let mut local = name;
                    at += 1;
                    if self.is_name(at, "as")
                        && let Some(Token::Name(renamed)) = self.token(at + 1)
                    {
                        local = renamed;
                        at += 2;
                    }
                    let full = if module.is_empty() {
                        name.clone()
                    } else {
                        format!("{module}.{name}")
                    };
                    self.context.aliases.insert(local.clone(), full);
                }
                _ => return at,
            }
            if !self.is_punct(at, b',') {
                return at;
            }
            at += 1;
        }
    }

    /// `import x from "m"`, `import * as x from "m"`, `import { a as b } from "m"`
    pub(super) fn js_import(&mut self, start: usize) -> usize {
        let mut names: Vec<(&'t str, Option<&'t str>)> = Vec::new();
        let mut at = start;
        while at < start + MAX_IMPORT {
            match self.token(at) {
                None | Some(Token::Str(_)) => break,
                Some(Token::Name(word)) if word == "from" => break,
                Some(Token::Punct(b'*')) if self.is_name(at + 1, "as") => {
                    if let Some(Token::Name(local)) = self.token(at + 2) {
                        names.push((local, None));
                    }
                    at += 3;
                }
                Some(Token::Punct(b'{')) => {
                    let close = self.closer(at);
                    let mut k = at + 1;
                    while k < close {
                        if let Some(Token::Name(member)) = self.token(k) {
                            if self.is_name(k + 1, "as")
                                && let Some(Token::Name(local)) = self.token(k + 2)
                            {
                                names.push((local, Some(member)));
                                k += 3;
                                continue;
                            }
                            names.push((member, Some(member)));
                        }
                        k += 1;
                    }
                    at = close + 1;
                }
                Some(Token::Name(local)) => {
                    names.push((local, None));
                    at += 1;
                }
                Some(_) => at += 1,
            }
        }
        if self.is_name(at, "from") {
            at += 1;
        }
        if let Some(Token::Str(Some(module))) = self.token(at) {
            let module = normalize_module(module);
            for (local, member) in names {
                let target =
                    member.map_or_else(|| module.clone(), |member| format!("{module}.{member}"));
                self.context.aliases.insert(local.to_owned(), target);
            }
            at += 1;
        }
        at
    }

    /// `const { exec, spawn: run } = require("child_process")`
    pub(super) fn destructuring(&mut self, open: usize) {
        let close = self.closer(open);
        if !self.is_punct(close + 1, b'=') || self.is_punct(close + 2, b'=') {
            return;
        }
        let Some(module) = self.module_expression(close + 2) else {
            return;
        };
        let mut k = open + 1;
        while k < close {
            if let Some(Token::Name(member)) = self.token(k) {
                let local = match (self.token(k + 1), self.token(k + 2)) {
                    (Some(Token::Punct(b':')), Some(Token::Name(local))) => {
                        k += 2;
                        local
                    }
                    _ => member,
                };
                self.context
                    .aliases
                    .insert(local.clone(), format!("{module}.{member}"));
            }
            k += 1;
        }
    }

    /// `name = module.function` or `name = require("m")`: `name` stands for it.
    pub(super) fn assignment(&mut self, at: usize) {
        let Some(Token::Name(local)) = self.token(at) else {
            return;
        };
        if !self.is_punct(at + 1, b'=')
            || matches!(self.token(at + 2), Some(Token::Punct(b'=' | b'~')))
        {
            return;
        }
        if let Some(target) = self.module_expression(at + 2) {
            self.context.aliases.insert(local.clone(), target);
        }
    }

    /// The module or function an expression names, when it is a name chain or a
    /// loader call with a literal (`require("fs").promises`), not a call's result.
    fn module_expression(&self, mut at: usize) -> Option<String> {
        while self.is_name(at, "new") || self.is_name(at, "await") {
            at += 1;
        }
        let (segments, mut end) = self.segments(at)?;
        let mut name = self.resolve(None, &segments);
        if self.is_punct(end, b'(') {
            if let Some((_, module)) = CLIENTS.iter().find(|(client, _)| *client == name) {
                return Some((*module).to_owned());
            }
            name = self.loaded_module(&name, end)?;
            end = self.closer(end) + 1;
            let mut members = Vec::new();
            end = self.extend(&mut members, end);
            for member in members {
                name.push('.');
                name.push_str(member);
            }
            if self.is_punct(end, b'(') {
                return None;
            }
        }
        Some(name)
    }

    /// `require("fs")` → `fs`: the module a loader call names, if literal.
    fn loaded_module(&self, name: &str, open: usize) -> Option<String> {
        if !LOADERS.contains(&name) {
            return None;
        }
        match (self.token(open + 1), self.token(open + 2)) {
            (Some(Token::Str(Some(module))), Some(Token::Punct(b')' | b','))) => {
                Some(normalize_module(module))
            }
            _ => None,
        }
    }

    /// The full name of a chain: the first segment through the aliases (or after
    /// `prefix`, a module or call already resolved), made canonical.
    pub(super) fn resolve(&self, prefix: Option<&str>, segments: &[&str]) -> String {
        let mut name = String::new();
        let mut rest = segments;
        match prefix {
            Some(prefix) => name.push_str(prefix),
            None => {
                if let Some((first, tail)) = segments.split_first() {
                    name.push_str(
                        self.context
                            .aliases
                            .get(*first)
                            .map_or(*first, String::as_str),
                    );
                    rest = tail;
                }
            }
        }
        for segment in rest {
            if !name.is_empty() {
                name.push('.');
            }
            name.push_str(segment);
        }
        canonical(name, self.context.language)
    }

    /// Python `getattr(os, "system")`: the function it fetches, so that a call of
    /// its result is a call of `os.system`.
    pub(super) fn getattr_target(&self, name: &str, args: &[Arg<'t>]) -> Option<String> {
        if self.context.language != Python || name != "getattr" {
            return None;
        }
        let attribute = args.get(1)?.literal()?;
        let object = args.first()?;
        let object = match object.tokens {
            [
                Token::Name(loader),
                Token::Punct(b'('),
                Token::Str(Some(module)),
                Token::Punct(b')'),
            ] if LOADERS.contains(&loader.as_str()) => normalize_module(module),
            tokens => {
                let (segments, end) = Scanner::segments_of(tokens)?;
                if end != tokens.len() {
                    return None;
                }
                self.resolve(None, &segments)
            }
        };
        Some(canonical(format!("{object}.{attribute}"), Python))
    }

    fn segments_of(tokens: &[Token]) -> Option<(Vec<&str>, usize)> {
        let Some(Token::Name(first)) = tokens.first() else {
            return None;
        };
        let mut segments = vec![first.as_str()];
        let mut at = 1;
        while let (Some(Token::Dot), Some(Token::Name(member))) =
            (tokens.get(at), tokens.get(at + 1))
        {
            segments.push(member);
            at += 2;
        }
        Some((segments, at))
    }
}

/// A module as the table names it: `node:fs` and `fs/promises` are `fs`.
pub(in super::super) fn normalize_module(module: &str) -> String {
    let module = module.strip_prefix("node:").unwrap_or(module);
    match module {
        "fs/promises" | "fs.promises" | "fs-extra" | "graceful-fs" => "fs".to_owned(),
        other => other.replace('/', "."),
    }
}

/// A name as the table knows it: noise prefixes dropped, `fs.promises.x` as
/// `fs.x`, PHP functions in lower case (PHP ignores their case).
pub(in super::super) fn canonical(mut name: String, language: Language) -> String {
    if let Some(rest) = NOISE_PREFIXES
        .iter()
        .find_map(|prefix| name.strip_prefix(prefix))
    {
        name = rest.to_owned();
    }
    if let Some(rest) = name.strip_prefix("fs.promises.") {
        name = format!("fs.{rest}");
    }
    if language == Php && !name.contains('.') && !name.starts_with('$') {
        name.make_ascii_lowercase();
    }
    name
}
