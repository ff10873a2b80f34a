// A dnsmasq for tests: started on a free 127.0.0.1 UDP port with the
// records given, answering NXDOMAIN for every other name; stopped by the
// destructor. Never touches the Internet.
#pragma once
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "lib/file/file.h"

namespace buzon::test {

class Dnsmasq {
 public:
  // records: dnsmasq.conf lines ("host-record=a.example,192.0.2.1").
  explicit Dnsmasq(const std::vector<std::string>& records) {
    char tmpl[] = "/tmp/buzon-dnsmasq-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    std::string conf;
    for (const auto& r : records) conf += r + "\n";
    (void)file::write_atomic(dir_ + "/dnsmasq.conf", conf);
    port_ = free_udp_port();
    pid_ = ::fork();
    if (pid_ == 0) {
      int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::dup2(null, 2);
      std::vector<std::string> args = {"dnsmasq", "--no-daemon", "--port=" + std::to_string(port_),
                                       "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
                                       "--pid-file=", "--local=/#/", "--conf-file=" + dir_ + "/dnsmasq.conf",
                                       "--log-facility=" + dir_ + "/log"};
      if (::geteuid() == 0) args.push_back("--user=root");
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execvp("dnsmasq", argv.data());
      ::execv("/usr/sbin/dnsmasq", argv.data());
      ::_exit(127);
    }
    wait_ready();
  }
  ~Dnsmasq() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    std::system(("rm -rf '" + dir_ + "'").c_str());
  }
  Dnsmasq(const Dnsmasq&) = delete;
  Dnsmasq& operator=(const Dnsmasq&) = delete;
  int port() const { return port_; }
  std::string server() const { return "127.0.0.1:" + std::to_string(port_); }

  // Free for UDP and for TCP: dnsmasq listens on both, and the TCP side
  // of an ephemeral port is often some test's outgoing connection.
  static int free_udp_port() {
    for (;;) {
      int s = ::socket(AF_INET, SOCK_DGRAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
      socklen_t len = sizeof a;
      ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
      int t = ::socket(AF_INET, SOCK_STREAM, 0);
      int one = 1;
      ::setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      bool tcp_free = ::bind(t, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      ::close(t);
      ::close(s);
      if (tcp_free) return ntohs(a.sin_port);
    }
  }

 private:
  // dnsmasq is ready once its port is taken (binding it fails).
  void wait_ready() {
    for (int i = 0; i < 500; ++i) {
      int s = ::socket(AF_INET, SOCK_DGRAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(static_cast<uint16_t>(port_));
      bool taken = ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0;
      ::close(s);
      if (taken) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace buzon::test
