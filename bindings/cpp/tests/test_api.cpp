// The binding's API against the real library: versions and results, the embedded scenario with
// a simulated toy (asserting the bytes the toy received), events, errors and their codes.
#include <atomic>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "harness.hpp"

using namespace teleplug;
using namespace std::chrono_literals;

namespace {

EmbeddedOptions simulated_only(uint32_t scan_ms = 0) {
    EmbeddedOptions o;
    o.server_name = "C++ tests";
    o.disabled_transports = transport::all_hardware;
    o.simulator_scan_ms = scan_ms;
    return o;
}

/// What an observed simulated device was written, as text.
void record_writes(Client& client, th::Recorder<std::string>& writes) {
    client.on_simulator_op([&writes](const SimulatorOp& op) {
        if (op.kind == SimulatorOpKind::Write) writes.push(op.text);
    });
}

bool contains(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

}  // namespace

// The move-only handles and the nodiscard types, checked at compile time.
static_assert(!std::is_copy_constructible_v<Context> && !std::is_copy_assignable_v<Context>);
static_assert(!std::is_copy_constructible_v<Client> && !std::is_copy_assignable_v<Client>);
static_assert(std::is_nothrow_move_constructible_v<Context>);
static_assert(std::is_nothrow_move_constructible_v<Client>);
static_assert(std::is_nothrow_move_assignable_v<Client>);

TEST(versions_and_abi) {
    CHECK_EQ(abi_version(), uint32_t(TP_ABI_VERSION));
    CHECK_EQ(version(), std::string(TP_VERSION_STRING));
    CHECK(check_abi().ok());
    CHECK(contains(status_string(TP_ERR_DECODE), "decode"));
    CHECK_EQ(to_string(OutputType::Vibrate), std::string("OUTPUT_TYPE_VIBRATE"));
    CHECK_EQ(to_string(InputType::Battery), std::string("INPUT_TYPE_BATTERY"));
    CHECK_EQ(to_string(ErrorCode::NotConnected), std::string("ERROR_CODE_NOT_CONNECTED"));
    CHECK_EQ(to_string(static_cast<OutputType>(99)), std::string());
}

TEST(result_carries_status_and_last_error_text) {
    auto bad = Context::create(0x80);
    CHECK(!bad.ok());
    CHECK(!bad);
    CHECK_EQ(bad.status(), TP_ERR_INVALID_ARG);
    CHECK(!bad.message().empty());
    auto e = CHECK_THROWS(StatusError, bad.value());
    CHECK_EQ(e.status(), TP_ERR_INVALID_ARG);
    CHECK_EQ(e.detail(), bad.message());
    // The throwing constructor says the same.
    auto e2 = CHECK_THROWS(StatusError, Context(0x80));
    CHECK_EQ(e2.status(), TP_ERR_INVALID_ARG);

    auto good = Context::create();
    CHECK(good.ok());
    Context ctx = std::move(good).value();
    CHECK(static_cast<bool>(ctx));
    // Client names are UTF-8: the library refuses invalid bytes, and accepts any other text.
    auto bad_name = Client::create(ctx, std::string("\xff\xfe", 2));
    CHECK_EQ(bad_name.status(), TP_ERR_INVALID_ARG);
    CHECK(contains(bad_name.message(), "UTF-8"));
    CHECK(Client::create(ctx, "Zoë's 玩具").ok());
    CHECK(Client::create(ctx).ok());

    CHECK(ctx.shutdown(1s).ok());
    CHECK(ctx.shutdown(1s).ok());  // idempotent
    auto late = Client::create(ctx, "late");
    CHECK_EQ(late.status(), TP_ERR_SHUTDOWN);
    auto e3 = CHECK_THROWS(StatusError, Client(ctx, "late"));
    CHECK_EQ(e3.status(), TP_ERR_SHUTDOWN);

    Context moved = std::move(ctx);
    CHECK(!ctx);  // NOLINT: moved-from on purpose
    CHECK_EQ(ctx.shutdown().status(), TP_ERR_INVALID_HANDLE);
    CHECK_EQ(Client::create(ctx).status(), TP_ERR_INVALID_HANDLE);
}

TEST(embedded_scenario_drives_a_simulated_toy) {
    // Whatever a handler captures outlives the client: declared first, destroyed last.
    th::Recorder<std::string> writes;
    th::Recorder<uint32_t> added, removed;
    std::atomic<int> list_changes{0};
    Context ctx;
    Client client(ctx, "C++ scenario");
    record_writes(client, writes);
    client.on_device_added([&](const Device& d) { added.push(d.index()); });
    client.on_device_removed([&](const Device& d) { removed.push(d.index()); });
    client.on_device_list_changed([&] { ++list_changes; });

    ServerInfo info = client.connect(simulated_only()).get(th::WAIT);
    CHECK_EQ(info.server_name, std::string("C++ tests"));
    CHECK(info.protocol_version_major >= 1);
    CHECK(client.devices().empty());

    client.simulator_advertise(SimulatedLovense{"11:22:33:44:55:66", "", 87}).get(th::WAIT);
    client.start_scanning().get(th::WAIT);
    uint32_t index = WAIT_FOR(added, [](uint32_t) { return true; }, "device added");
    client.stop_scanning().get(th::WAIT);

    auto devices = client.devices();
    CHECK_EQ(devices.size(), size_t(1));
    Device toy = devices[0];
    CHECK_EQ(toy.index(), index);
    CHECK_EQ(toy.name(), std::string("Lovense Hush"));
    auto features = toy.features();
    CHECK(features.size() >= 2);
    Feature motor = features[0];
    CHECK(motor.has_output(OutputType::Vibrate));
    CHECK_EQ(motor.outputs()[0].value.min, 0);
    CHECK_EQ(motor.outputs()[0].value.max, 20);
    auto battery = toy.find_feature(InputType::Battery);
    CHECK(battery.has_value());
    CHECK(battery->inputs()[0].commands.size() >= 1);
    CHECK(battery->inputs()[0].commands[0] == InputCommandType::Read);
    CHECK(!toy.find_feature(OutputType::Rotate).has_value());

    auto listed = client.request_device_list().get(th::WAIT);
    CHECK_EQ(listed.size(), size_t(1));
    CHECK_EQ(listed[0].name(), toy.name());

    motor.vibrate(0.5).get(th::WAIT);
    WAIT_FOR(writes, [](const std::string& w) { return w == "Vibrate:10;"; }, "Vibrate:10;");
    motor.run_output_steps(OutputType::Vibrate, 3).get(th::WAIT);
    WAIT_FOR(writes, [](const std::string& w) { return w == "Vibrate:3;"; }, "Vibrate:3;");
    CHECK_EQ(battery->read_battery().get(th::WAIT), 87);
    toy.stop().get(th::WAIT);
    WAIT_FOR(writes, [](const std::string& w) { return w == "Vibrate:0;"; }, "Vibrate:0;");
    CHECK_EQ(writes.snapshot(),
             (std::vector<std::string>{"DeviceType;", "Vibrate:10;", "Vibrate:3;", "Battery;",
                                       "Vibrate:0;"}));

    client.simulator_disconnect("11:22:33:44:55:66").get(th::WAIT);
    CHECK_EQ(WAIT_FOR(removed, [](uint32_t) { return true; }, "device removed"), index);
    CHECK(client.devices().empty());
    CHECK(list_changes.load() >= 1);
    client.disconnect().get(th::WAIT);
}

TEST(events_scanning_finished_and_input_subscriptions) {
    th::Latch finished;
    th::Recorder<int32_t> readings, all_readings;
    th::Recorder<SimulatorOp> ops;
    Context ctx;
    Client client(ctx, "C++ inputs");
    client.on_scanning_finished([&] { finished.count_down(); });
    client.on_input_reading([&](const InputReading& r) { all_readings.push(r.value); });
    client.on_simulator_op([&](const SimulatorOp& op) { ops.push(op); });
    client.connect(simulated_only(50)).get(th::WAIT);

    // A KGoal Boost described field by field, with a battery read value.
    SimulatedDeviceSpec spec;
    spec.name = "Boost";
    spec.address = "kg1";
    spec.read_values.push_back({"rxblebattery", {77}});
    client.simulator_advertise(spec).get(th::WAIT);
    client.start_scanning().get(th::WAIT);
    WAIT_LATCH(finished, "scanning finished");
    auto devices = client.devices();
    CHECK_EQ(devices.size(), size_t(1));
    auto pressure = devices[0].find_feature(InputType::Pressure);
    auto battery = devices[0].find_feature(InputType::Battery);
    CHECK(pressure && battery);

    pressure->subscribe(InputType::Pressure, [&](int32_t v) { readings.push(v); }).get(th::WAIT);
    WAIT_FOR(ops, [](const SimulatorOp& op) { return op.kind == SimulatorOpKind::Subscribe; },
             "the device saw a subscription");
    client.simulator_notify("kg1", "rxpressure", {0, 0, 0, 0, 42, 0, 42}).get(th::WAIT);
    CHECK_EQ(WAIT_FOR(readings, [](int32_t) { return true; }, "a subscribed reading"), 42);
    CHECK_EQ(WAIT_FOR(all_readings, [](int32_t) { return true; }, "an input reading event"), 42);
    pressure->unsubscribe(InputType::Pressure).get(th::WAIT);
    CHECK_EQ(battery->read_battery().get(th::WAIT), 77);
    // Bytes travel base64-encoded: a notification on an endpoint the device lacks is refused.
    auto e = CHECK_THROWS(RequestError,
                          client.simulator_notify("kg1", "no-such-endpoint", {1, 2}).get(th::WAIT));
    CHECK(e.code() == ErrorCode::InvalidArgument);
}

TEST(request_errors_carry_their_codes) {
    th::Recorder<uint32_t> added, removed;
    Context ctx;
    Client client(ctx, "C++ errors");
    auto e = CHECK_THROWS(RequestError, client.start_scanning().get(th::WAIT));
    CHECK(e.code() == ErrorCode::NotConnected);
    CHECK_EQ(e.code_name(), std::string("ERROR_CODE_NOT_CONNECTED"));
    CHECK(e.request_id() != 0);
    CHECK(!e.message().empty());

    e = CHECK_THROWS(RequestError, client.connect("ws://127.0.0.1:1").get(th::WAIT));
    CHECK(e.code() == ErrorCode::ConnectFailed);
    e = CHECK_THROWS(RequestError, client.connect("http://nope").get(th::WAIT));
    CHECK(e.code() == ErrorCode::InvalidArgument);
    e = CHECK_THROWS(RequestError, client.request("debug", Json::object()).get(th::WAIT));
    CHECK(e.code() == ErrorCode::Unsupported);  // test hooks need TP_CONTEXT_DEBUG

    EmbeddedOptions bad_config = simulated_only();
    bad_config.device_config_json = "{ not json";
    e = CHECK_THROWS(RequestError, client.connect(bad_config).get(th::WAIT));
    CHECK(e.code() == ErrorCode::InvalidArgument || e.code() == ErrorCode::ConnectFailed);

    client.connect(simulated_only()).get(th::WAIT);
    e = CHECK_THROWS(RequestError, client.connect(simulated_only()).get(th::WAIT));
    CHECK(e.code() == ErrorCode::AlreadyConnected);

    client.on_device_added([&](const Device& d) { added.push(d.index()); });
    client.simulator_advertise(SimulatedLovense{"aa:bb", "", 50}).get(th::WAIT);
    client.start_scanning().get(th::WAIT);
    WAIT_FOR(added, [](uint32_t) { return true; }, "device added");
    Device toy = client.devices().at(0);
    Feature motor = toy.feature(0);

    // Values the library refuses.
    e = CHECK_THROWS(RequestError, motor.vibrate(2.0).get(th::WAIT));
    CHECK(e.code() == ErrorCode::InvalidArgument);
    e = CHECK_THROWS(RequestError, motor.run_output_steps(OutputType::Vibrate, 999).get(th::WAIT));
    CHECK(e.code() == ErrorCode::Device || e.code() == ErrorCode::InvalidArgument);
    e = CHECK_THROWS(RequestError, motor.rotate(0.5).get(th::WAIT));
    CHECK_EQ(e.code_name(), std::string("ERROR_CODE_INVALID_ARGUMENT"));
    e = CHECK_THROWS(RequestError, motor.read(InputType::Pressure).get(th::WAIT));
    CHECK_EQ(e.code_name(), std::string("ERROR_CODE_DEVICE"));
    // Values JSON cannot carry never leave the process.
    auto s = CHECK_THROWS(StatusError, motor.vibrate(std::nan("")));
    CHECK_EQ(s.status(), TP_ERR_INVALID_ARG);
    s = CHECK_THROWS(StatusError, motor.vibrate(std::numeric_limits<double>::infinity()));
    CHECK_EQ(s.status(), TP_ERR_INVALID_ARG);
    s = CHECK_THROWS(StatusError, client.simulator_disconnect(std::string("\xff", 1)));
    CHECK_EQ(s.status(), TP_ERR_INVALID_ARG);
    // A feature the device does not have.
    s = CHECK_THROWS(StatusError, toy.feature(99));
    CHECK_EQ(s.status(), TP_ERR_INVALID_ARG);
    // A request the schema does not have: refused by the library at send time.
    s = CHECK_THROWS(StatusError, client.request("noSuchRequest", Json::object()));
    CHECK(s.status() == TP_ERR_INVALID_ARG || s.status() == TP_ERR_DECODE);
    CHECK(!s.detail().empty());

    // The device goes away: commands through the stale view are refused by the library.
    client.on_device_removed([&](const Device& d) { removed.push(d.index()); });
    client.simulator_disconnect("aa:bb").get(th::WAIT);
    WAIT_FOR(removed, [](uint32_t) { return true; }, "device removed");
    e = CHECK_THROWS(RequestError, motor.run_output_steps(OutputType::Vibrate, 1).get(th::WAIT));
    CHECK_EQ(e.code_name(), std::string("ERROR_CODE_DEVICE"));
    e = CHECK_THROWS(RequestError, motor.vibrate(0.1).get(th::WAIT));
    CHECK(e.code() == ErrorCode::Device || e.code() == ErrorCode::InvalidArgument);
    client.ping().get(th::WAIT);
}

TEST(library_panics_become_errors) {
    Context ctx(TP_CONTEXT_DEBUG);
    Client client(ctx, "C++ panics");
    auto e = CHECK_THROWS(RequestError,
                          client.request("debug", {{"panic", "PANIC_SITE_TASK"}}).get(th::WAIT));
    CHECK(e.code() == ErrorCode::Panic);
    auto s = CHECK_THROWS(StatusError, client.request("debug", {{"panic", "PANIC_SITE_SEND"}}));
    CHECK_EQ(s.status(), TP_ERR_PANIC);
    // The client still works afterwards.
    Json reply = client.request("debug", {{"sleepMs", 0}}).get(th::WAIT);
    CHECK(reply.contains("ok"));
}

TEST(server_disconnect_is_reported_and_the_client_reconnects) {
    th::Recorder<std::string> reasons;
    Context ctx(TP_CONTEXT_DEBUG);
    Client client(ctx, "C++ reconnect");
    client.on_server_disconnected([&](const std::string& r) { reasons.push(r); });
    client.connect(simulated_only()).get(th::WAIT);
    client.request("debug", {{"shutdownServer", Json::object()}}).get(th::WAIT);
    WAIT_FOR(reasons, [](const std::string&) { return true; }, "server disconnected");
    auto info = client.connect(simulated_only()).get(th::WAIT);
    CHECK_EQ(info.server_name, std::string("C++ tests"));
    client.ping().get(th::WAIT);
}

TEST(replies_keep_request_order) {
    Context ctx(TP_CONTEXT_DEBUG);
    Client client(ctx, "C++ order");
    // Slow and fast requests mixed: replies still complete in request order, so once the last
    // one is ready every earlier one is.
    std::vector<Future<Json>> futures;
    for (int i = 0; i < 60; ++i)
        futures.push_back(client.request("debug", {{"sleepMs", (60 - i) % 7}}));
    futures.back().wait_for(th::WAIT);
    for (auto& f : futures) CHECK(f.ready());
    for (auto& f : futures) CHECK(f.get().contains("ok"));
}

TEST(log_handler_and_log_events) {
    th::Recorder<std::string> lines;
    CHECK(set_log_handler([&](LogLevel, std::string_view msg) { lines.push(std::string(msg)); },
                          LogLevel::Debug)
              .ok());
    {
        th::Recorder<LogRecord> records;  // outlives the client whose handler fills it
        Context ctx;
        Client client(ctx, "C++ logs");
        client.on_log([&](const LogRecord& r) { records.push(r); });
        client.subscribe_logs(LogLevel::Debug).get(th::WAIT);
        client.connect(simulated_only()).get(th::WAIT);
        client.simulator_advertise(SimulatedLovense{"log-toy", "", 10}).get(th::WAIT);
        client.start_scanning().get(th::WAIT);
        WAIT_FOR(records, [](const LogRecord& r) { return !r.message.empty(); }, "a log event");
        WAIT_FOR(lines, [](const std::string& l) { return !l.empty(); }, "a log line");
        client.subscribe_logs(LogLevel::Off).get(th::WAIT);
    }
    // Replaced: the old handler never runs again once set_log_handler returns.
    th::Recorder<std::string> second;
    CHECK(set_log_handler([&](LogLevel, std::string_view m) { second.push(std::string(m)); },
                          LogLevel::Trace)
              .ok());
    size_t before = lines.size();
    {
        Context ctx;
        Client client(ctx, "C++ logs 2");
        client.connect(simulated_only()).get(th::WAIT);
        client.start_scanning().get(th::WAIT);
        WAIT_FOR(second, [](const std::string& l) { return !l.empty(); }, "a log line (2nd)");
    }
    CHECK(clear_log_handler().ok());
    CHECK_EQ(lines.size(), before);
    // Out-of-range levels are refused by the library.
    auto r = set_log_handler([](LogLevel, std::string_view) {}, static_cast<LogLevel>(9));
    CHECK_EQ(r.status(), TP_ERR_INVALID_ARG);
}

TEST(base64_and_enum_marshalling) {
    std::vector<uint8_t> bytes{0, 1, 2, 250, 251, 252, 253, 254, 255, 'a'};
    for (size_t n = 0; n <= bytes.size(); ++n) {
        std::vector<uint8_t> part(bytes.begin(), bytes.begin() + long(n));
        CHECK(detail::base64_decode(detail::base64_encode(part)) == part);
    }
    CHECK_EQ(detail::base64_encode({'D', 'e', 'v'}), std::string("RGV2"));
    CHECK(detail::enum_from_json<OutputType>(Json("OUTPUT_TYPE_ROTATE")) == OutputType::Rotate);
    CHECK(detail::enum_from_json<OutputType>(Json(3)) == OutputType::Oscillate);
    CHECK(detail::enum_from_json<OutputType>(Json("OUTPUT_TYPE_FROM_THE_FUTURE")) ==
          OutputType::Unspecified);
    // Defaults are omitted in proto3 JSON: a missing field reads as 0.
    DeviceInfo d = detail::device_from_json(Json::parse(
        R"({"name":"X","features":[{"outputs":[{"type":"OUTPUT_TYPE_VIBRATE","value":{"max":20}}]}]})"));
    CHECK_EQ(d.index, 0u);
    CHECK_EQ(d.features.at(0).index, 0u);
    CHECK_EQ(d.features[0].outputs.at(0).value.min, 0);
    CHECK_EQ(d.features[0].outputs[0].value.max, 20);
}

TEST(proto_field_names_are_accepted_too) {
    // Readers accept the original proto field names besides the lowerCamelCase JSON names.
    DeviceInfo d = detail::device_from_json(Json::parse(
        R"({"index":3,"display_name":"Mine","message_gap_ms":75,"features":[{"index":1,)"
        R"("inputs":[{"type":"INPUT_TYPE_BATTERY","commands":[1]}]}]})"));
    CHECK_EQ(d.index, 3u);
    CHECK_EQ(d.display_name, std::string("Mine"));
    CHECK_EQ(d.message_gap_ms, 75u);
    CHECK(d.features.at(0).inputs.at(0).commands.at(0) == InputCommandType::Read);
    InputReading r = detail::reading_from_json(
        Json::parse(R"({"device_index":2,"feature_index":1,"type":1,"value":-5})"));
    CHECK_EQ(r.device_index, 2u);
    CHECK_EQ(r.feature_index, 1u);
    CHECK(r.type == InputType::Battery);
    CHECK_EQ(r.value, -5);
}

// docs/FFI.md §3: the library's messages survive this binding's JSON library unchanged, and every
// request the binding writes is one the library decodes.
TEST(every_message_survives_the_json_library) {
    th::Recorder<std::string> raw;
    th::Latch finished, removed;
    th::Recorder<int32_t> readings;
    Context ctx(TP_CONTEXT_DEBUG);
    Client client(ctx, "C++ round trip");
    client.on_raw_message([&](std::string_view text) { raw.push(std::string(text)); });
    client.on_scanning_finished([&] { finished.count_down(); });
    client.on_device_removed([&](const Device&) { removed.count_down(); });
    client.subscribe_logs(LogLevel::Info).get(th::WAIT);
    client.connect(simulated_only(50)).get(th::WAIT);
    // Every simulator field, bytes included.
    SimulatedDeviceSpec spec;
    spec.name = "Boost";
    spec.address = "kg-round-trip";
    spec.services = {"0000fff0-0000-1000-8000-00805f9b34fb"};
    spec.manufacturer_data.push_back({0x0059, {1, 2, 3}});
    spec.auto_replies.push_back({{0xff, 0x00}, "rxpressure", {0, 0, 0, 0, 7, 0, 7}});
    spec.read_values.push_back({"rxblebattery", {33}});
    spec.message_gap_ms = 20;
    client.simulator_advertise(spec).get(th::WAIT);
    client.simulator_advertise(SimulatedLovense{"lvs-round-trip", "Z:11:0082059AD3BD;", 55}, false)
        .get(th::WAIT);
    client.start_scanning().get(th::WAIT);
    WAIT_LATCH(finished, "scanning finished");
    client.stop_scanning().get(th::WAIT);
    auto devices = client.request_device_list().get(th::WAIT);
    CHECK_EQ(devices.size(), size_t(2));
    for (auto& d : devices) {
        for (auto& f : d.features()) {
            for (auto& o : f.outputs()) {
                f.run_output(o.type, 0.25, o.type == OutputType::HwPositionWithDuration ? 100 : 0)
                    .get(th::WAIT);
                f.run_output_steps(o.type, o.value.max, o.duration.max).get(th::WAIT);
            }
            if (f.has_input(InputType::Pressure)) {
                f.subscribe(InputType::Pressure, [&](int32_t v) { readings.push(v); }).get(th::WAIT);
                client.simulator_notify("kg-round-trip", "rxpressure", {0, 0, 0, 0, 9, 0, 9})
                    .get(th::WAIT);
                WAIT_FOR(readings, [](int32_t v) { return v == 9; }, "a reading");
                f.unsubscribe(InputType::Pressure).get(th::WAIT);
            }
            if (f.has_input(InputType::Battery)) (void)f.read_battery().get(th::WAIT);
            f.stop().get(th::WAIT);
        }
        d.stop().get(th::WAIT);
    }
    client.simulator_queue_read("kg-round-trip", "rxblebattery", {44}).get(th::WAIT);
    client.stop_all_devices().get(th::WAIT);
    client.request("stop", {{"deviceIndex", 0}, {"inputs", false}, {"outputs", true}}).get(th::WAIT);
    CHECK_THROWS(RequestError, client.request("debug", {{"panic", "PANIC_SITE_TASK"}}).get(th::WAIT));
    client.simulator_disconnect("lvs-round-trip").get(th::WAIT);
    WAIT_LATCH(removed, "device removed");
    client.disconnect().get(th::WAIT);
    CHECK(ctx.shutdown(5s).ok());

    // Every kind of message came by, and each is reproduced byte for byte by nlohmann/json
    // (ordered_json keeps the library's key order), and parses to the same value both ways.
    std::set<std::string> kinds;
    for (const auto& text : raw.snapshot()) {
        auto ordered = nlohmann::ordered_json::parse(text);
        CHECK_EQ(ordered.dump(), text);
        CHECK(Json::parse(ordered.dump()) == Json::parse(text));
        for (auto& [key, value] : ordered.items())
            if (key != "id" && key != "schemaVersion") kinds.insert(key);
        CHECK_EQ(ordered.value("schemaVersion", 0u), detail::kSchemaVersion);
    }
    for (const char* kind : {"ok", "error", "connected", "deviceList", "inputReading", "deviceAdded",
                             "deviceRemoved", "deviceListChanged", "scanningFinished", "log",
                             "simulatorOp", "closed"})
        if (!kinds.count(kind)) th::fail(__FILE__, __LINE__, std::string("no ") + kind + " message");
}
