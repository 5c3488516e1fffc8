// The open connections of a coroutine test server, so that shutting it down can
// close every socket and cancel every timer, and so every pending operation ends.
#ifndef PACER_TESTS_SUPPORT_LIVE_CONNECTIONS_HPP
#define PACER_TESTS_SUPPORT_LIVE_CONNECTIONS_HPP

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <list>

namespace pacer_test {

struct live_connection {
  boost::asio::ip::tcp::socket* socket;
  boost::asio::steady_timer* timer;
};

// Keeps a connection reachable from the server's shutdown for as long as its coroutine runs.
class live_registration {
 public:
  live_registration(std::list<live_connection>& list, boost::asio::ip::tcp::socket& socket,
                    boost::asio::steady_timer& timer)
      : list_(list), it_(list.insert(list.end(), {&socket, &timer})) {}
  ~live_registration() { list_.erase(it_); }
  live_registration(const live_registration&) = delete;
  live_registration& operator=(const live_registration&) = delete;

 private:
  std::list<live_connection>& list_;
  std::list<live_connection>::iterator it_;
};

}  // namespace pacer_test

#endif
