// A small test harness: TEST(name) registers a test, CHECK* throw on failure, Recorder and
// Latch wait on events with a timeout (never sleep to synchronise). main.cpp runs the tests
// named on the command line (ctest runs one per process), or all of them.
#ifndef TELEPLUG_CPP_TEST_HARNESS_HPP
#define TELEPLUG_CPP_TEST_HARNESS_HPP

#include "teleplug.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace th {

/// How long any wait for an event or reply may take before the test fails.
constexpr std::chrono::milliseconds WAIT{10000};

struct Failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

[[noreturn]] inline void fail(const char* file, int line, const std::string& what) {
    std::ostringstream s;
    s << file << ":" << line << ": " << what;
    throw Failure(s.str());
}

using TestFn = void (*)();
inline std::vector<std::pair<std::string, TestFn>>& registry() {
    static std::vector<std::pair<std::string, TestFn>> tests;
    return tests;
}
struct Registrar {
    Registrar(const char* name, TestFn fn) { registry().emplace_back(name, fn); }
};

template <class T>
std::string show(const T& v);
template <class T>
std::string show(const std::vector<T>& v) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + show(v[i]);
    return out + "]";
}
template <class T>
std::string show(const T& v) {
    std::ostringstream s;
    if constexpr (std::is_enum_v<T>)
        s << static_cast<long long>(v);
    else
        s << v;
    return s.str();
}

/// Expect `f` to throw an E; returns it.
template <class E, class F>
E expect_throw(F&& f, const char* file, int line, const char* expr) {
    try {
        f();
    } catch (const E& e) {
        return e;
    } catch (const std::exception& other) {
        fail(file, line, std::string(expr) + " threw another exception: " + other.what());
    }
    fail(file, line, std::string(expr) + " did not throw");
}

/// Values pushed from handler threads, waited for with a timeout.
template <class T>
class Recorder {
  public:
    // Notifies under the lock: a waiter cannot return (and destroy this) before notify ends.
    void push(T v) {
        std::lock_guard<std::mutex> lock(mu_);
        items_.push_back(std::move(v));
        cv_.notify_all();
    }
    std::vector<T> snapshot() const {
        std::lock_guard<std::mutex> lock(mu_);
        return items_;
    }
    size_t size() const {
        std::lock_guard<std::mutex> lock(mu_);
        return items_.size();
    }
    /// The first item matching `pred`, waiting up to WAIT for it; fails the test otherwise.
    template <class P>
    T wait_for(P pred, const char* what, const char* file, int line) {
        std::unique_lock<std::mutex> lock(mu_);
        T found{};
        bool ok = cv_.wait_for(lock, WAIT, [&] {
            for (const auto& item : items_)
                if (pred(item)) {
                    found = item;
                    return true;
                }
            return false;
        });
        if (!ok) fail(file, line, std::string("timed out waiting for ") + what);
        return found;
    }

  private:
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::vector<T> items_;
};

/// Counts down from handler threads; wait() fails the test after WAIT.
class Latch {
  public:
    explicit Latch(int count = 1) : count_(count) {}
    void count_down() {  // notifies under the lock, like Recorder::push
        std::lock_guard<std::mutex> lock(mu_);
        if (count_ > 0) --count_;
        cv_.notify_all();
    }
    bool wait_for(std::chrono::milliseconds timeout) {
        std::unique_lock<std::mutex> lock(mu_);
        return cv_.wait_for(lock, timeout, [&] { return count_ == 0; });
    }
    bool done() {
        std::lock_guard<std::mutex> lock(mu_);
        return count_ == 0;
    }

  private:
    std::mutex mu_;
    std::condition_variable cv_;
    int count_;
};

}  // namespace th

#define TEST(name)                                                \
    static void test_##name();                                    \
    static const th::Registrar registrar_##name(#name, &test_##name); \
    static void test_##name()

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) th::fail(__FILE__, __LINE__, "CHECK(" #cond ") failed"); \
    } while (0)

#define CHECK_EQ(a, b)                                                                      \
    do {                                                                                    \
        const auto& check_a_ = (a);                                                         \
        const auto& check_b_ = (b);                                                         \
        if (!(check_a_ == check_b_))                                                        \
            th::fail(__FILE__, __LINE__,                                                    \
                     "CHECK_EQ(" #a ", " #b "): " + th::show(check_a_) + " != " + th::show(check_b_)); \
    } while (0)

#define CHECK_THROWS(Type, expr) \
    th::expect_throw<Type>([&] { (void)(expr); }, __FILE__, __LINE__, #expr)

#define WAIT_FOR(recorder, pred, what) (recorder).wait_for(pred, what, __FILE__, __LINE__)

#define WAIT_LATCH(latch, what)                                                      \
    do {                                                                             \
        if (!(latch).wait_for(th::WAIT)) th::fail(__FILE__, __LINE__, "timed out waiting for " what); \
    } while (0)

#endif
