#include "pop3d/session_log.h"

#include "lib/core/strings.h"

namespace buzon::pop3d {

std::string login_line(const std::string& user, const std::string& method, const Endpoints& ep, bool tls) {
  return "login: user=<" + str::sanitize(user, 128) + ">, method=" + str::sanitize(method, 32) + ", rip=" + ep.rip +
         ", lip=" + ep.lip + (tls ? ", TLS" : "");
}

std::string logout_line(const std::string& user, const Endpoints& ep, const std::string& reason,
                        const SessionStats& st) {
  return "Disconnected: user=<" + str::sanitize(user, 128) + ">, rip=" + ep.rip + ", reason=" + reason +
         ", top=" + std::to_string(st.top_count) + "/" + std::to_string(st.top_bytes) +
         ", retr=" + std::to_string(st.retr_count) + "/" + std::to_string(st.retr_bytes) +
         ", del=" + std::to_string(st.deleted) + "/" + std::to_string(st.messages) +
         ", size=" + std::to_string(st.size);
}

std::string prelogin_line(const Endpoints& ep, const std::string& reason, unsigned auth_attempts, bool tls) {
  return "Disconnected: rip=" + ep.rip + ", lip=" + ep.lip + ", reason=" + reason +
         ", auth_attempts=" + std::to_string(auth_attempts) + (tls ? ", TLS" : "");
}

}  // namespace buzon::pop3d
