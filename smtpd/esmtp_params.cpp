#include "smtpd/esmtp_params.h"

#include "lib/core/strings.h"
#include "lib/queue/queue.h"

namespace buzon::smtpd {
namespace {

std::string_view ltrim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool all_printable(std::string_view s) {
  for (unsigned char c : s)
    if (c < 32 || c > 126) return false;
  return true;
}

void append_utf8(std::string& out, unsigned long cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// RFC 6533 section 3 utf-8-addr-xtext/unitext (ORCPT addr-type "utf-8"):
// "\x{HEXPOINT}" is that Unicode scalar value; other characters, UTF-8
// included, stand for themselves.
std::optional<std::string> uxtext_decode(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '\\') {
      out += in[i];
      continue;
    }
    if (in.substr(i, 3) != "\\x{") return std::nullopt;
    size_t close = in.find('}', i + 3);
    if (close == std::string_view::npos || close == i + 3 || close - (i + 3) > 6) return std::nullopt;
    unsigned long cp = 0;
    for (size_t j = i + 3; j < close; ++j) {
      int v = hex_value(in[j]);
      if (v < 0) return std::nullopt;
      cp = cp * 16 + static_cast<unsigned>(v);
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp < 0x20) return std::nullopt;
    append_utf8(out, cp);
    i = close;
  }
  return out;
}

}  // namespace

std::vector<EsmtpParam> esmtp_params(std::string_view s) {
  std::vector<EsmtpParam> out;
  while (!(s = ltrim(s)).empty()) {
    size_t end = s.find_first_of(" \t");
    std::string_view p = s.substr(0, end);
    s = end == std::string_view::npos ? std::string_view() : s.substr(end);
    size_t eq = p.find('=');
    EsmtpParam param;
    param.text = p;
    param.keyword = p.substr(0, eq);
    if (eq != std::string_view::npos) {
      param.value = p.substr(eq + 1);
      param.has_value = true;
    }
    out.push_back(param);
  }
  return out;
}

std::optional<std::string> xtext_decode(std::string_view xtext) {
  std::string out;
  out.reserve(xtext.size());
  for (size_t i = 0; i < xtext.size(); ++i) {
    if (xtext[i] != '+') {
      out += xtext[i];
      continue;
    }
    if (i + 2 >= xtext.size()) return std::nullopt;
    int hi = hex_value(xtext[i + 1]);
    int lo = hex_value(xtext[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

Parsed<MailParams> parse_mail_params(std::string_view params, bool smtputf8_enabled) {
  Parsed<MailParams> r;
  MailParams& m = r.value;
  auto unsupported = [&](const EsmtpParam& p) {
    r.error = "555 5.5.4 Unsupported option: " + str::sanitize(p.text, 64);
    return r;
  };
  for (const EsmtpParam& p : esmtp_params(params)) {
    if (str::iequals(p.keyword, "SIZE") && p.has_value) {
      // Postfix: digits that do not fit are a size no file system holds.
      bool digits = !p.value.empty() && p.value.find_first_not_of("0123456789") == std::string_view::npos;
      if (!digits) {
        r.error = "501 5.5.4 Bad message size syntax";
        return r;
      }
      m.size = str::to_uint(p.value);
      if (!m.size) {
        r.error = "552 5.3.4 Message size exceeds file system imposed limit";
        return r;
      }
    } else if (str::iequals(p.keyword, "BODY") && p.has_value &&
               (str::iequals(p.value, "7BIT") || str::iequals(p.value, "8BITMIME"))) {
      // RFC 6152: content is stored as received either way.
    } else if (str::iequals(p.keyword, "RET") && p.has_value) {
      std::string ret = str::lower(p.value);
      if (!m.ret.empty() || (ret != "full" && ret != "hdrs")) {
        r.error = "501 5.5.4 Bad RET parameter syntax";
        return r;
      }
      m.ret = ret == "full" ? "FULL" : "HDRS";
    } else if (str::iequals(p.keyword, "ENVID") && p.has_value) {
      // RFC 3461 4.4: printable ASCII once decoded (the bounce repeats it).
      auto envid = xtext_decode(p.value);
      if (m.envid || !envid || envid->empty() || !all_printable(*envid)) {
        r.error = "501 5.5.4 Bad ENVID parameter syntax";
        return r;
      }
      m.envid = std::move(*envid);
    } else if (str::iequals(p.keyword, "SMTPUTF8") && !p.has_value && smtputf8_enabled) {
      m.smtputf8 = true;
    } else {
      return unsupported(p);
    }
  }
  return r;
}

Parsed<RcptParams> parse_rcpt_params(std::string_view params) {
  Parsed<RcptParams> r;
  RcptParams& rp = r.value;
  bool have_orcpt = false;
  for (const EsmtpParam& p : esmtp_params(params)) {
    if (str::iequals(p.keyword, "NOTIFY") && p.has_value) {
      auto notify = queue::parse_notify(p.value);
      if (rp.notify != 0 || !notify) {
        r.error = "501 5.5.4 Error: Bad NOTIFY parameter syntax";
        return r;
      }
      rp.notify = *notify;
    } else if (str::iequals(p.keyword, "ORCPT") && p.has_value) {
      // orcpt-parameter = "ORCPT=" addr-type ";" xtext (RFC 3461 4.2);
      // addr-type "utf-8" carries RFC 6533 utf-8-addr-xtext instead.
      size_t semi = p.value.find(';');
      std::string_view type = p.value.substr(0, semi);
      std::optional<std::string> addr;
      if (semi != std::string_view::npos) {
        std::string_view coded = p.value.substr(semi + 1);
        addr = str::iequals(type, "utf-8") ? uxtext_decode(coded) : xtext_decode(coded);
      }
      bool type_ok = !type.empty() && all_printable(type) && type.find_first_of(" ;") == std::string_view::npos;
      bool addr_ok = addr && !addr->empty();
      if (addr_ok)
        for (unsigned char c : *addr)
          if (c < 32 || c == 127) addr_ok = false;  // no controls in the bounce's Original-Recipient:
      if (have_orcpt || !type_ok || !addr_ok) {
        r.error = "501 5.5.4 Error: Bad ORCPT parameter syntax";
        return r;
      }
      have_orcpt = true;
      rp.orcpt = std::string(type) + ";" + *addr;
    } else {
      r.error = "555 5.5.4 Unsupported option: " + str::sanitize(p.text, 64);
      return r;
    }
  }
  return r;
}

}  // namespace buzon::smtpd
