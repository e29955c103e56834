// ButtplugChannel: Buttplug spec frames with the embedded server in process (v4 and v3 clients,
// a simulated toy whose received bytes are asserted), schema requests and their errors, bad
// input, both delivery modes (receive() and on_frame), close with requests pending, handlers
// that close the channel or would block, and a channel outliving its context.
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "harness.hpp"

using namespace teleplug;
using namespace std::chrono_literals;

namespace {

EmbeddedOptions simulated_only(const std::string& name) {
    EmbeddedOptions o;
    o.server_name = name;
    o.disabled_transports = transport::all_hardware;
    return o;
}

/// The first message of a Buttplug frame (JSON array text) whose type is `type` and whose Id
/// is `id` (any Id when `id` is negative); null when there is none.
Json message_in(const std::string& frame, const char* type, long id = -1) {
    Json parsed = Json::parse(frame);
    if (!parsed.is_array()) th::fail(__FILE__, __LINE__, "not a Buttplug frame: " + frame);
    for (const auto& message : parsed) {
        auto it = message.find(type);
        if (it == message.end()) continue;
        if (id < 0 || it->value("Id", -1L) == id) return *it;
    }
    return nullptr;
}

/// Receive frames until one holds a `type` message with this Id (any when negative); returns
/// that message's body. Fails the test when nothing matching comes within th::WAIT. Frames
/// received on the way are appended to `seen`.
Json wait_message(ButtplugChannel& ch, const char* type, long id, std::vector<std::string>* seen,
                  const char* file, int line) {
    auto deadline = std::chrono::steady_clock::now() + th::WAIT;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        std::optional<std::string> frame;
        if (left.count() > 0) frame = ch.receive(left);
        if (!frame)
            th::fail(file, line, std::string("timed out waiting for a ") + type + " frame");
        if (seen) seen->push_back(*frame);
        Json m = message_in(*frame, type, id);
        if (!m.is_null()) return m;
    }
}
#define WAIT_MESSAGE(ch, type, id, seen) wait_message(ch, type, id, seen, __FILE__, __LINE__)

/// What an observed simulated device was written, as text.
void record_writes(ButtplugChannel& ch, th::Recorder<std::string>& writes) {
    ch.on_simulator_op([&writes](const SimulatorOp& op) {
        if (op.kind == SimulatorOpKind::Write) writes.push(op.text);
    });
}

/// Counts down a latch when destroyed: captured by a handler, it tells when the binding's state
/// for a channel (handlers included) was released.
struct Sentinel {
    explicit Sentinel(th::Latch& l) : latch(l) {}
    ~Sentinel() { latch.count_down(); }
    th::Latch& latch;
};

const char* kHelloV4 =
    R"([{"RequestServerInfo":{"Id":1,"ClientName":"C++ raw","ProtocolVersionMajor":4,)"
    R"("ProtocolVersionMinor":0}}])";

}  // namespace

static_assert(!std::is_copy_constructible_v<ButtplugChannel> &&
              !std::is_copy_assignable_v<ButtplugChannel>);
static_assert(std::is_nothrow_move_constructible_v<ButtplugChannel>);
static_assert(std::is_nothrow_move_assignable_v<ButtplugChannel>);

TEST(channel_speaks_buttplug_v4_with_a_simulated_toy) {
    th::Recorder<std::string> writes;  // filled by a handler: declared before the channel
    th::Recorder<Json> events;
    Context ctx;
    ButtplugChannel ch(ctx, "C++ raw");
    CHECK(ch.is_open());
    CHECK(ch.native_handle() != nullptr);
    record_writes(ch, writes);
    ch.on_event([&events](const Json& e) { events.push(e); });

    // Schema requests before the first frame: the server's options, a simulated toy.
    ServerInfo info = ch.connect(simulated_only("C++ raw server")).get(th::WAIT);
    CHECK_EQ(info.server_name, std::string("C++ raw server"));
    ch.simulator_advertise(SimulatedLovense{"raw-toy", "", 40}).get(th::WAIT);

    // The v4 handshake, as text.
    ch.send(kHelloV4);
    std::string frame = *ch.receive(th::WAIT);
    CHECK(detail::is_buttplug_frame(frame));
    Json server_info = message_in(frame, "ServerInfo", 1);
    CHECK(!server_info.is_null());
    CHECK_EQ(server_info.value("ProtocolVersionMajor", 0), 4);
    CHECK_EQ(server_info.value("ServerName", std::string()), std::string("C++ raw server"));

    // Scanning (a frame given as JSON): Ok, then the device list naming the toy.
    std::vector<std::string> seen;
    ch.send(Json::parse(R"([{"StartScanning":{"Id":2}}])"));
    WAIT_MESSAGE(ch, "Ok", 2, &seen);
    Json list;
    for (const auto& f : seen)
        if (list.is_null()) list = message_in(f, "DeviceList");
    if (list.is_null()) list = WAIT_MESSAGE(ch, "DeviceList", -1, &seen);
    const Json& toy = list.at("Devices").at("0");
    CHECK_EQ(toy.value("DeviceName", std::string()), std::string("Lovense Hush"));
    CHECK(toy.at("DeviceFeatures").at("0").at("Output").contains("Vibrate"));
    WAIT_FOR(writes, [](const std::string& w) { return w == "DeviceType;"; }, "DeviceType;");

    // An output: answered Ok with its own Id, and the toy received exactly the Lovense command.
    ch.send(
        R"([{"OutputCmd":{"Id":3,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":5}}}}])");
    WAIT_MESSAGE(ch, "Ok", 3, nullptr);
    WAIT_FOR(writes, [](const std::string& w) { return w == "Vibrate:5;"; }, "Vibrate:5;");
    // An input read: the simulated battery level, under the request's Id.
    ch.send(
        R"([{"InputCmd":{"Id":4,"DeviceIndex":0,"FeatureIndex":1,"Type":"Battery","Command":"Read"}}])");
    Json reading = WAIT_MESSAGE(ch, "InputReading", 4, nullptr);
    CHECK_EQ(reading.at("Reading").at("Battery").at("Value").get<int>(), 40);
    ch.send(R"([{"StopCmd":{"Id":5,"DeviceIndex":0}}])");
    WAIT_MESSAGE(ch, "Ok", 5, nullptr);
    WAIT_FOR(writes, [](const std::string& w) { return w == "Vibrate:0;"; }, "Vibrate:0;");
    CHECK_EQ(writes.snapshot(), (std::vector<std::string>{"DeviceType;", "Vibrate:5;", "Battery;",
                                                          "Vibrate:0;"}));

    // A Buttplug message the server does not know is answered by the server, as an Error frame.
    ch.send(R"([{"NoSuchMessage":{"Id":6}}])");
    Json error = WAIT_MESSAGE(ch, "Error", 6, nullptr);
    CHECK(error.value("ErrorMessage", std::string()).find("NoSuchMessage") != std::string::npos);

    // The simulator's ops came through on_event too, as schema events without id.
    Json op = WAIT_FOR(
        events,
        [](const Json& e) {
            return e.contains("simulatorOp") && e["simulatorOp"].value("text", "") == "Vibrate:5;";
        },
        "a simulatorOp event");
    CHECK(!op.contains("id"));
}

TEST(channel_speaks_buttplug_v3_through_on_frame) {
    th::Recorder<std::string> frames;  // filled by the handler: declared before the channel
    Context ctx;
    ButtplugChannel ch(ctx, "C++ raw v3");
    ch.on_frame([&frames](std::string_view f) { frames.push(std::string(f)); });

    // No connect: the embedded server starts with default options at the first frame.
    ch.send(R"([{"RequestServerInfo":{"Id":1,"ClientName":"v3","MessageVersion":3}}])");
    std::string hello = WAIT_FOR(
        frames, [](const std::string& f) { return !message_in(f, "ServerInfo", 1).is_null(); },
        "ServerInfo");
    CHECK_EQ(message_in(hello, "ServerInfo", 1).value("MessageVersion", 0), 3);
    auto e = CHECK_THROWS(RequestError, ch.connect(simulated_only("too late")).get(th::WAIT));
    CHECK(e.code() == ErrorCode::AlreadyConnected);

    // A v3 message: the device list in v3's shape (an array).
    ch.send(R"([{"RequestDeviceList":{"Id":2}}])");
    std::string list = WAIT_FOR(
        frames, [](const std::string& f) { return !message_in(f, "DeviceList", 2).is_null(); },
        "DeviceList");
    CHECK(message_in(list, "DeviceList", 2).at("Devices").is_array());
    CHECK(!ch.receive(0ms).has_value());  // handled frames are not queued

    // Clearing the handler queues frames for receive() again.
    ch.on_frame({});
    size_t handled = frames.size();
    ch.send(R"([{"Ping":{"Id":3}}])");
    WAIT_MESSAGE(ch, "Ok", 3, nullptr);
    CHECK_EQ(frames.size(), handled);
}

TEST(channel_refuses_bad_input_and_keeps_working) {
    Context ctx;
    ButtplugChannel ch(ctx, "C++ raw bad input");
    ch.connect(simulated_only("bad input")).get(th::WAIT);

    // Refused by the library, with its status and text.
    auto s = CHECK_THROWS(StatusError, ch.send("hello"));
    CHECK_EQ(s.status(), TP_ERR_DECODE);
    CHECK(!s.detail().empty());
    s = CHECK_THROWS(StatusError, ch.send(""));
    CHECK_EQ(s.status(), TP_ERR_DECODE);
    s = CHECK_THROWS(StatusError, ch.send(std::string("[\"\xff\"]")));
    CHECK_EQ(s.status(), TP_ERR_DECODE);  // not UTF-8
    // Refused by the binding: objects are schema requests (request() matches their replies).
    s = CHECK_THROWS(StatusError, ch.send(R"( {"id":7,"ping":{}})"));
    CHECK_EQ(s.status(), TP_ERR_INVALID_ARG);
    s = CHECK_THROWS(StatusError, ch.send(Json::object()));
    CHECK_EQ(s.status(), TP_ERR_INVALID_ARG);
    s = CHECK_THROWS(StatusError, ch.send(Json::array({std::string("\xff")})));
    CHECK_EQ(s.status(), TP_ERR_INVALID_ARG);  // JSON cannot carry it
    // A request the schema does not have: refused by the library at send time.
    s = CHECK_THROWS(StatusError, ch.request("noSuchRequest", Json::object()));
    CHECK(s.status() == TP_ERR_INVALID_ARG || s.status() == TP_ERR_DECODE);

    // An array that is not JSON reaches the server, which answers with an Error frame.
    ch.send("[not json");
    Json error = WAIT_MESSAGE(ch, "Error", -1, nullptr);
    CHECK(error.value("ErrorMessage", std::string()).find("JSON") != std::string::npos);

    // The channel still works.
    ch.send(std::string(kHelloV4));
    CHECK_EQ(WAIT_MESSAGE(ch, "ServerInfo", 1, nullptr).value("ServerName", std::string()),
             std::string("bad input"));
    ch.send(Json::array({{{"Ping", {{"Id", 2}}}}}));
    WAIT_MESSAGE(ch, "Ok", 2, nullptr);

    // create() reports instead of throwing.
    auto bad_name = ButtplugChannel::create(ctx, std::string("\xff", 1));
    CHECK_EQ(bad_name.status(), TP_ERR_INVALID_ARG);
    Context moved = std::move(ctx);
    CHECK_EQ(ButtplugChannel::create(ctx).status(), TP_ERR_INVALID_HANDLE);  // NOLINT: moved-from
    CHECK(moved.shutdown(5s).ok());
    CHECK_EQ(ButtplugChannel::create(moved).status(), TP_ERR_SHUTDOWN);
    auto e = CHECK_THROWS(StatusError, ButtplugChannel(moved, "late"));
    CHECK_EQ(e.status(), TP_ERR_SHUTDOWN);
}

TEST(channel_error_replies_become_request_errors) {
    Context ctx;
    ButtplugChannel ch(ctx, "C++ raw errors");
    // A raw channel talks to the embedded server only.
    auto e = CHECK_THROWS(RequestError,
                          ch.request("connect", {{"remote", {{"url", "ws://127.0.0.1:1"}}}})
                              .get(th::WAIT));
    CHECK(e.code() == ErrorCode::Unsupported);
    CHECK(e.request_id() != 0);
    ch.connect(simulated_only("errors")).get(th::WAIT);
    e = CHECK_THROWS(RequestError, ch.connect(simulated_only("again")).get(th::WAIT));
    CHECK(e.code() == ErrorCode::AlreadyConnected);
    CHECK_EQ(e.code_name(), std::string("ERROR_CODE_ALREADY_CONNECTED"));
    // Client commands are Buttplug frames on a raw channel.
    e = CHECK_THROWS(RequestError, ch.request("startScanning", Json::object()).get(th::WAIT));
    CHECK(e.code() == ErrorCode::Unsupported);
    CHECK(!e.message().empty());
    // A simulator request about a device that does not exist.
    e = CHECK_THROWS(RequestError,
                     ch.request("simulatorDisconnect", {{"address", "nobody"}}).get(th::WAIT));
    CHECK(e.code() == ErrorCode::InvalidArgument);
    CHECK(e.message().find("nobody") != std::string::npos);
    // A successful request's whole reply.
    ch.simulator_advertise(SimulatedLovense{"err-toy", "", 10}, false).get(th::WAIT);
    Json reply = ch.request("simulatorDisconnect", {{"address", "err-toy"}}).get(th::WAIT);
    CHECK(reply.contains("ok"));
    CHECK(reply.value("id", 0u) != 0u);
}

TEST(channel_close_fails_pending_requests_and_ends_receive) {
    Context ctx(TP_CONTEXT_DEBUG);
    ButtplugChannel ch(ctx, "C++ raw close");
    ch.connect(simulated_only("close")).get(th::WAIT);
    auto slow = ch.request("debug", {{"sleepMs", 60000}});
    ch.send(kHelloV4);
    ch.close();
    auto e = CHECK_THROWS(StatusError, slow.get(th::WAIT));
    CHECK_EQ(e.status(), TP_CLOSED);
    CHECK(!ch.is_open());
    CHECK(ch.native_handle() == nullptr);
    // receive() hands out what was already queued (at most the ServerInfo), then says closed
    // at once instead of waiting for its timeout.
    auto start = std::chrono::steady_clock::now();
    int received = 0;
    int32_t status = TP_OK;
    for (int i = 0; i < 3 && status == TP_OK; ++i) {
        try {
            auto f = ch.receive(th::WAIT);
            CHECK(f.has_value());
            CHECK(!message_in(*f, "ServerInfo", 1).is_null());
            ++received;
        } catch (const StatusError& s) {
            status = s.status();
        }
    }
    CHECK_EQ(status, TP_CLOSED);
    CHECK(received <= 1);
    CHECK(std::chrono::steady_clock::now() - start < th::WAIT);
    e = CHECK_THROWS(StatusError, ch.receive(0ms));
    CHECK_EQ(e.status(), TP_CLOSED);
    e = CHECK_THROWS(StatusError, ch.send(kHelloV4));
    CHECK_EQ(e.status(), TP_ERR_INVALID_HANDLE);
    e = CHECK_THROWS(StatusError, ch.request("debug", {{"sleepMs", 0}}));
    CHECK_EQ(e.status(), TP_ERR_INVALID_HANDLE);
    ch.close();  // idempotent

    // Moved-from channels refuse use; the moved-to one works.
    ButtplugChannel a(ctx, "C++ raw moved");
    ButtplugChannel b = std::move(a);
    e = CHECK_THROWS(StatusError, a.send(kHelloV4));  // NOLINT: moved-from on purpose
    CHECK_EQ(e.status(), TP_ERR_INVALID_HANDLE);
    e = CHECK_THROWS(StatusError, a.receive(0ms));
    CHECK_EQ(e.status(), TP_ERR_INVALID_HANDLE);
    CHECK(!a.is_open());
    a.close();
    b.send(kHelloV4);
    WAIT_MESSAGE(b, "ServerInfo", 1, nullptr);
    // Move assignment closes the channel it replaces.
    ButtplugChannel c(ctx, "C++ raw replaced");
    auto pending = c.request("debug", {{"sleepMs", 60000}});
    c = std::move(b);
    e = CHECK_THROWS(StatusError, pending.get(th::WAIT));
    CHECK_EQ(e.status(), TP_CLOSED);
    c.send(R"([{"Ping":{"Id":2}}])");
    WAIT_MESSAGE(c, "Ok", 2, nullptr);
}

TEST(channel_handlers_may_close_it_but_not_block) {
    th::Recorder<int32_t> refused;  // filled by the handler: declared before the channel
    th::Latch handled;
    Context ctx;
    ButtplugChannel ch(ctx, "C++ raw handler");
    ch.connect(simulated_only("handler")).get(th::WAIT);
    ch.on_frame([&](std::string_view) {
        // Waiting inside a handler would block the thread that delivers frames and replies.
        try {
            (void)ch.receive(1s);
        } catch (const StatusError& e) {
            refused.push(e.status());
        }
        auto ping = ch.request("simulatorDisconnect", {{"address", "nobody"}});
        try {
            (void)ping.get();
        } catch (const StatusError& e) {
            refused.push(e.status());
        } catch (const RequestError&) {
            refused.push(-1);  // the reply came already: not a refusal
        }
        (void)ch.receive(0ms);  // a zero timeout does not wait: allowed
        ch.close();             // legal inside its own handler
        handled.count_down();
    });
    ch.send(kHelloV4);
    WAIT_LATCH(handled, "the frame handler");
    CHECK_EQ(refused.snapshot(), (std::vector<int32_t>{TP_ERR_INVALID_ARG, TP_ERR_INVALID_ARG}));
    CHECK(!ch.is_open());
    auto e = CHECK_THROWS(StatusError, ch.receive(th::WAIT));
    CHECK_EQ(e.status(), TP_CLOSED);
}

TEST(channel_outlives_its_context) {
    th::Recorder<Json> events;  // filled by a handler: declared before the channel
    th::Latch released;
    std::optional<ButtplugChannel> ch;
    std::optional<Future<Json>> slow;
    {
        Context ctx(TP_CONTEXT_DEBUG);
        ch.emplace(ctx, "C++ raw orphan");
        auto sentinel = std::make_shared<Sentinel>(released);
        ch->on_event([&events, sentinel](const Json& e) { events.push(e); });
        ch->connect(simulated_only("orphan")).get(th::WAIT);
        ch->send(kHelloV4);
        WAIT_MESSAGE(*ch, "ServerInfo", 1, nullptr);
        slow = ch->request("debug", {{"sleepMs", 60000}});
        // The context goes first: it shuts down (answering what is pending), sends `closed`,
        // and frees the channel's native client.
    }
    auto e = CHECK_THROWS(RequestError, slow->get(th::WAIT));
    CHECK(e.code() == ErrorCode::Shutdown);
    Json closed = WAIT_FOR(events, [](const Json& m) { return m.contains("closed"); }, "closed");
    CHECK(!closed.contains("id"));
    // Calls fail cleanly.
    auto s = CHECK_THROWS(StatusError, ch->send(kHelloV4));
    CHECK(s.status() == TP_ERR_INVALID_HANDLE || s.status() == TP_ERR_SHUTDOWN);
    s = CHECK_THROWS(StatusError, ch->request("debug", {{"sleepMs", 0}}));
    CHECK(s.status() == TP_ERR_INVALID_HANDLE || s.status() == TP_ERR_SHUTDOWN);
    s = CHECK_THROWS(StatusError, ch->receive(th::WAIT));
    CHECK_EQ(s.status(), TP_CLOSED);
    ch.reset();
    CHECK(released.done());  // the handler and what it captured were released
}
