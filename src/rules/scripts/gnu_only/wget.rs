//! `wget`: options busybox wget does not have or reads differently.

use super::getopt::{parse_opts, report_bad, BadOption, Spec};
use super::words::sub_span;
use super::Hit;
use crate::model::shell::Word;
use crate::source::SourceFile;

pub(super) const WGET: Spec = Spec {
    tool: "wget",
    flags: "cqS",
    with_arg: "OoPYUTt",
    opt_arg: "n",
    long: &[
        ("continue", false),
        ("quiet", false),
        ("server-response", false),
        ("output-document", true),
        ("output-file", true),
        ("directory-prefix", true),
        ("proxy", true),
        ("user-agent", true),
        ("timeout", true),
        ("tries", true),
        ("header", true),
        ("post-data", true),
        ("spider", false),
        ("no-check-certificate", false),
        ("post-file", true),
        ("passive-ftp", false),
        ("no-cache", false),
        ("no-verbose", false),
        ("no-clobber", false),
        ("no-host-directories", false),
        ("no-parent", false),
    ],
    stop_at_operand: false,
};

pub(super) fn wget(_prog: &Word, args: &[Word], src: &SourceFile, out: &mut Vec<Hit>) {
    let p = parse_opts(&WGET, args);
    let mut bad = p.bad;
    // `--user` is accepted, as an abbreviation of `--user-agent`: mis-read, not rejected.
    let (user, rest): (Vec<BadOption>, Vec<BadOption>) = bad.drain(..).partition(|b| b.name == "--user");
    for b in user {
        out.push(Hit {
            span: sub_span(src, b.word, b.at, b.len),
            message: "`wget --user` is GNU's HTTP user name; busybox wget (Alpine's) reads it as `--user-agent` and sends no credentials".into(),
            help: "put the credentials in the URL (`http://user:password@host/…`), which busybox wget sends as Basic auth".into(),
        });
    }
    report_bad(&WGET, &rest, src, out, &|name| {
        Some(match name {
            "--no-proxy" => "use `-Y off` (busybox and GNU wget both accept it)".into(),
            "--connect-timeout" | "--read-timeout" | "--dns-timeout" => "use `-T SECONDS` (busybox wget's one timeout)".into(),
            "--retry-connrefused" | "--waitretry" | "--retry-on-http-error" => "retry in the script, with a bound: `for i in 1 2 3; do wget … && break; sleep 1; done`".into(),
            "--password" | "--http-user" | "--http-password" => "put the credentials in the URL (`http://user:password@host/…`)".into(),
            "--method" | "--body-data" | "--body-file" => "busybox wget sends GET, or POST with `--post-data`/`--post-file`".into(),
            "--output-document" => "use `-O FILE`".into(),
            "--verbose" | "-v" => "drop it (busybox wget prints progress unless `-q`)".into(),
            _ => "drop the option, or use one busybox wget has (`-q`, `-O`, `-T`, `-Y off`, `--header`, `--post-data`, `--spider`)".into(),
        })
    });
}
