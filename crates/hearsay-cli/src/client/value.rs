//! Values on the command line: `VALUE|@file` in, one short line per value out.
//!
//! Values are bytes. On the way in, `@path` reads a file as is (`@-` reads standard input),
//! so binary data and values with newlines need no quoting; `@@text` stands for the literal
//! `@text`. On the way out, `get` writes the raw bytes and tables show a one-line preview.

use std::io::Read as _;

use hearsay_agent::schema::ValueField;

use super::connection::ClientError;

/// Longest preview in a table, in characters.
const PREVIEW_CHARS: usize = 48;

/// Help text for a `VALUE|@file` argument.
pub const HELP: &str = "The value: text as given, @FILE for a file's bytes, @- for standard \
input, @@TEXT for text that starts with @";

/// The bytes `arg` stands for.
pub fn read(arg: &str) -> Result<Vec<u8>, ClientError> {
    if let Some(literal) = arg.strip_prefix("@@") {
        return Ok(format!("@{literal}").into_bytes());
    }
    let Some(path) = arg.strip_prefix('@') else {
        return Ok(arg.as_bytes().to_vec());
    };
    if path == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).map_err(|e| {
            ClientError::Local(format!("cannot read the value from standard input: {e}"))
        })?;
        return Ok(bytes);
    }
    std::fs::read(path).map_err(|e| {
        ClientError::Local(format!(
            "cannot read the value file '{path}': {e} (write @@{path} for the text '@{path}' itself)"
        ))
    })
}

/// A value on one line: text with control characters escaped and cut at 48 characters, or
/// the size of a value that is not text.
pub fn preview(field: &ValueField) -> String {
    match (&field.value, field.bytes()) {
        (Some(text), _) if text.is_empty() => "\"\"".to_owned(),
        (Some(text), _) => {
            let mut out = String::new();
            for (i, c) in text.chars().enumerate() {
                if i == PREVIEW_CHARS {
                    out.push('…');
                    break;
                }
                match c {
                    '\n' => out.push_str("\\n"),
                    '\t' => out.push_str("\\t"),
                    '\r' => out.push_str("\\r"),
                    c if c.is_control() => out.push_str(&c.escape_unicode().to_string()),
                    c => out.push(c),
                }
            }
            out
        }
        (None, Some(bytes)) => format!("({} bytes, not text)", bytes.len()),
        (None, None) => "-".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_files_stdin_and_escaped_at_signs() {
        assert_eq!(read("plain").unwrap(), b"plain");
        assert_eq!(read("@@home").unwrap(), b"@home");
        let dir = std::env::temp_dir().join(format!("hearsay-value-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("v.bin");
        std::fs::write(&file, [0u8, 159, 146, 150]).unwrap();
        assert_eq!(
            read(&format!("@{}", file.display())).unwrap(),
            [0, 159, 146, 150]
        );
        let missing = read("@/nonexistent/hearsay-value").unwrap_err().to_string();
        assert!(
            missing.starts_with("cannot read the value file '/nonexistent/hearsay-value'"),
            "{missing}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn previews_are_one_short_line() {
        assert_eq!(preview(&ValueField::of(b"a\nb\tc")), "a\\nb\\tc");
        assert_eq!(preview(&ValueField::of(b"")), "\"\"");
        assert_eq!(preview(&ValueField::of(&[0xff, 0])), "(2 bytes, not text)");
        let long = preview(&ValueField::of("x".repeat(100).as_bytes()));
        assert_eq!(long.chars().count(), PREVIEW_CHARS + 1);
        assert!(long.ends_with('…'));
        assert_eq!(preview(&ValueField::none()), "-");
    }
}
