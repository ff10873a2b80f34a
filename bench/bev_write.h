// bench/bev_write.h - a load generator's write to the server it measures.
#pragma once
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <sys/socket.h>

#include <string_view>

namespace bench {

// Sends s straight to the socket when nothing is queued before it; only
// what the socket does not take (all of it after an error, which the
// bufferevent then reports) is queued in the bufferevent. Through the
// bufferevent alone every command would add and then remove a write event,
// two epoll_ctl calls: work the generator would take from the CPUs it
// shares with the server it measures.
inline void write_now(bufferevent* bev, std::string_view s) {
  size_t sent = 0;
  if (evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
    ssize_t n = ::send(bufferevent_getfd(bev), s.data(), s.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) sent = static_cast<size_t>(n);
  }
  if (sent < s.size()) bufferevent_write(bev, s.data() + sent, s.size() - sent);
}

}  // namespace bench
