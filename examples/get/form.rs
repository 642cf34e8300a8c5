//! The getter's `-F`: curl's form fields, parsed, and the multipart form
//! they make.

/// One `-F` field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormField {
    /// `-F name=value`.
    Text { name: String, value: String },
    /// `-F name=@path[;type=MIME][;filename=NAME]`.
    File {
        name: String,
        path: String,
        mime: Option<String>,
        file_name: Option<String>,
    },
}

impl FormField {
    /// Parses curl's `-F` argument.
    pub fn parse(arg: &str) -> Result<FormField, String> {
        let Some((name, value)) = arg.split_once('=') else {
            return Err(format!(
                "-F {arg:?} has no '=' (use name=value or name=@file)"
            ));
        };
        if name.is_empty() {
            return Err(format!("-F {arg:?} has no name"));
        }
        let name = name.to_string();
        let Some(file) = value.strip_prefix('@') else {
            return Ok(FormField::Text {
                name,
                value: value.to_string(),
            });
        };
        let mut params = file.split(';');
        let path = params.next().unwrap_or_default().to_string();
        if path.is_empty() {
            return Err(format!("-F {arg:?} names no file after '@'"));
        }
        let (mut mime, mut file_name) = (None, None);
        for param in params {
            match param.split_once('=') {
                Some(("type", v)) => mime = Some(v.to_string()),
                Some(("filename", v)) => file_name = Some(v.to_string()),
                _ => {
                    return Err(format!(
                        "-F {arg:?}: unknown {param:?} (type= or filename=)"
                    ))
                }
            }
        }
        Ok(FormField::File {
            name,
            path,
            mime,
            file_name,
        })
    }
}

/// The multipart form of the `-F` fields: files opened now, read while
/// the request is sent.
pub async fn build(fields: &[FormField]) -> Result<brisk::multipart::Form, String> {
    use brisk::multipart::{Form, Part};
    let mut form = Form::new();
    for field in fields {
        form = match field {
            FormField::Text { name, value } => form.text(name.clone(), value.clone()),
            FormField::File {
                name,
                path,
                mime,
                file_name,
            } => {
                let mut part = Part::file(path)
                    .await
                    .map_err(|e| format!("reading {path}: {e}"))?;
                if let Some(mime) = mime {
                    part = part
                        .mime_str(mime)
                        .map_err(|_| format!("-F type={mime:?} is not a media type"))?;
                }
                if let Some(file_name) = file_name {
                    part = part.file_name(file_name.clone());
                }
                form.part(name.clone(), part)
            }
        };
    }
    Ok(form)
}
