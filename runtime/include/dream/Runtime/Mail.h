//===- Mail.h - Mail folders as a text classification set -------*- C++ -*-===//
//
// Raw mails (RFC 5322, with MIME: RFC 2045/2046), one folder per class
// (Folders.h; a Maildir's cur/ and new/ folders are read too). A mail's
// text is its body without headers: the text/plain and text/html parts of
// a multipart mail (attachments and other types are skipped), decoded from
// quoted-printable or base64, HTML reduced to its text. Charsets are not
// converted: the tokenizer reads bytes.
//
//===----------------------------------------------------------------------===//

#ifndef DREAM_RUNTIME_MAIL_H
#define DREAM_RUNTIME_MAIL_H

#include "dream/Runtime/Text.h"

#include <string>

namespace dream::rt {

/// The text of the raw mail `mail`, read from `path` (for messages).
/// Throws DataError naming the mail if it has no headers, no text part,
/// a multipart body without a boundary, bad base64, or binary bytes in a
/// text part.
std::string mailText(const std::string &mail, const std::string &path);

/// HTML without its tags, comments, scripts and styles, entities decoded
/// (named: amp, lt, gt, quot, apos, nbsp; numeric), block elements ending
/// lines.
std::string htmlToText(const std::string &html);

/// The mails of `dir`, one folder per class, split as Folders.h says.
TextSplits readMailFolders(const std::string &dir);

} // namespace dream::rt

#endif // DREAM_RUNTIME_MAIL_H
