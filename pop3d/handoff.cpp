#include "pop3d/handoff.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "lib/attr/attr.h"
#include "lib/password/base64.h"

namespace buzon::pop3d {

Status send_handoff(int sock, int client, const Handoff& h, std::chrono::milliseconds timeout) {
  if (h.preread.size() > kPrereadMax) return Error{"too much pipelined input to hand off"};
  char byte = 'C';
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &client, sizeof(int));
  ssize_t n;
  do n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n != 1) return sys_error("sendmsg client descriptor");
  attr::Message m;
  m.set("ticket", h.ticket).set("rip", h.rip).set("lip", h.lip).set("mechanism", h.mechanism);
  m.set("tls", h.tls ? 1 : 0).set("preread", password::base64_encode(h.preread));
  return attr::write_message(sock, m, timeout);
}

Result<Received> receive_handoff(int sock, std::chrono::milliseconds timeout) {
  pollfd p{sock, POLLIN, 0};
  int r;
  do r = ::poll(&p, 1, static_cast<int>(timeout.count()));
  while (r < 0 && errno == EINTR);
  if (r == 0) return Error{"hand-off: timeout"};
  if (r < 0) return sys_error("hand-off: poll");
  char byte;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) return sys_error("hand-off: recvmsg");
  Received out;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int))) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
      out.client = Fd(fd);
    }
  }
  if (n != 1 || !out.client || (msg.msg_flags & MSG_CTRUNC)) return Error{"hand-off: no client descriptor"};
  auto m = attr::read_message(sock, timeout);
  if (!m) return Error{"hand-off: " + m.error().message};
  auto preread = password::base64_decode(m->get("preread").value_or(""));
  if (!preread || preread->size() > kPrereadMax) return Error{"hand-off: bad preread"};
  out.handoff.ticket = std::string(m->get("ticket").value_or(""));
  out.handoff.rip = std::string(m->get("rip").value_or(""));
  out.handoff.lip = std::string(m->get("lip").value_or(""));
  out.handoff.mechanism = std::string(m->get("mechanism").value_or(""));
  out.handoff.tls = m->get("tls") == "1";
  out.handoff.preread = std::move(*preread);
  if (out.handoff.ticket.empty()) return Error{"hand-off: no ticket"};
  return out;
}

}  // namespace buzon::pop3d
