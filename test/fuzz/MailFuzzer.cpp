//===- MailFuzzer.cpp - mailText and htmlToText on any bytes --------------===//
//
// Raw mails are the least trustworthy input the trainer reads: headers,
// MIME multiparts, quoted-printable, base64 and HTML, all from strangers.
//
//===----------------------------------------------------------------------===//

#include "dream/Runtime/Idx.h"
#include "dream/Runtime/Mail.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string mail(reinterpret_cast<const char *>(data), size);
  try {
    dream::rt::mailText(mail, "fuzz.eml");
  } catch (const dream::rt::DataError &) {
  }
  dream::rt::htmlToText(mail);
  return 0;
}
