// teleplug.hpp: the C++17 binding of Teleplug (header-only, over include/teleplug.h).
//
// Thin by design (shared/design/FFI.md §6): RAII handles over the C ABI, the JSON encoding of
// proto/teleplug.proto marshalled with nlohmann/json, replies as futures, events through
// std::function. Every protocol and device decision (matching, step conversion, validation of
// indexes and values) stays in the Rust library; the wrapper only turns messages into C++ values
// and library errors into exceptions.
//
//   teleplug::Context ctx;                                // runtime + dispatcher thread
//   teleplug::Client client(ctx, "my app");               // one client (sink mode, JSON)
//   client.connect().get();                               // embedded server (the default)
//   client.start_scanning().get();
//   for (auto& device : client.devices())
//       for (auto& feature : device.features())
//           if (feature.has_output(teleplug::OutputType::Vibrate)) feature.vibrate(0.5).get();
//
// teleplug::ButtplugChannel is the raw alternative to Client: Buttplug spec JSON frames with the
// embedded server, in process, for an existing Buttplug client or a test harness.
//
// Threads: event handlers and reply completions run on the context's one dispatcher thread, in
// order. Blocking on a reply of the same context inside a handler would deadlock, so
// Future::get()/wait() refuse it (StatusError TP_ERR_INVALID_ARG); chain work from the handler
// instead, or hand it to another thread. Do not destroy the Context inside one of its handlers
// (the library refuses it); destroying or closing a Client there is fine.
//
// Errors: a failed C call throws StatusError (its TP_* status and the library's last-error text);
// a request the library answered with an error throws RequestError (its ErrorCode); a library
// whose ABI differs from this header's throws AbiMismatch at Context creation. All derive from
// teleplug::Error.
#ifndef TELEPLUG_HPP
#define TELEPLUG_HPP

#include <teleplug.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace teleplug {

using Json = nlohmann::json;

// ---- versions, status texts ------------------------------------------------------------------

/// The ABI version of the loaded library (tp_abi_version()).
inline uint32_t abi_version() noexcept { return tp_abi_version(); }
/// The version of the loaded library ("major.minor.patch").
inline std::string version() { return tp_version_string(); }
/// A short static description of a TP_* status code.
inline std::string status_string(int32_t status) { return tp_status_string(status); }

/// The calling thread's last error text (tp_last_error_message), "" if none.
inline std::string last_error_message() {
    size_t n = tp_last_error_message(nullptr, 0);
    if (n == 0) return {};
    std::string s(n, '\0');
    size_t m = tp_last_error_message(reinterpret_cast<uint8_t*>(s.data()), s.size());
    s.resize(m < n ? m : n);
    return s;
}

// ---- errors ----------------------------------------------------------------------------------

/// Base of every exception this binding throws.
class Error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// A C call failed (or could not be made): `status()` is its TP_* code (TP_ERR_SHUTDOWN,
/// TP_ERR_INVALID_ARG, ..., TP_CLOSED for requests whose client closed before the reply).
class StatusError : public Error {
  public:
    StatusError(int32_t status, const std::string& what, const std::string& detail = {})
        : Error(what + ": " + status_string(status) + " (" + std::to_string(status) + ")" +
                (detail.empty() ? std::string() : ": " + detail)),
          status_(status), detail_(detail) {}
    int32_t status() const noexcept { return status_; }
    /// The library's error text (or the binding's, for errors it detects itself).
    const std::string& detail() const noexcept { return detail_; }

  private:
    int32_t status_;
    std::string detail_;
};

/// The library's ABI version differs from this header's (TP_ABI_VERSION): refuse to run.
class AbiMismatch : public Error {
  public:
    AbiMismatch(uint32_t library, uint32_t header)
        : Error("teleplug: the library has ABI version " + std::to_string(library) +
                " but this header was written for " + std::to_string(header)),
          library_(library), header_(header) {}
    uint32_t library_abi() const noexcept { return library_; }
    uint32_t header_abi() const noexcept { return header_; }

  private:
    uint32_t library_, header_;
};

/// ErrorCode of the schema: why the library answered a request with an error.
enum class ErrorCode : int32_t {
    Unknown = 0,
    Init = 1,
    Ping = 2,
    Message = 3,
    Device = 4,
    NotConnected = 10,
    AlreadyConnected = 11,
    InvalidArgument = 12,
    ConnectFailed = 13,
    Unsupported = 14,
    Panic = 15,
    Shutdown = 16,
};

/// The library answered a request (or sent an error event) with an `Error`.
class RequestError : public Error {
  public:
    RequestError(ErrorCode code, std::string code_name, std::string message, uint32_t request_id)
        : Error(code_name + ": " + message), code_(code), code_name_(std::move(code_name)),
          message_(std::move(message)), request_id_(request_id) {}
    ErrorCode code() const noexcept { return code_; }
    /// The code's schema name, e.g. "ERROR_CODE_DEVICE".
    const std::string& code_name() const noexcept { return code_name_; }
    /// The library's explanation.
    const std::string& message() const noexcept { return message_; }
    /// The id of the failed request; 0 for an error event.
    uint32_t request_id() const noexcept { return request_id_; }

  private:
    ErrorCode code_;
    std::string code_name_;
    std::string message_;
    uint32_t request_id_;
};

// ---- Result ----------------------------------------------------------------------------------

namespace detail {

// What Result<T> and Result<void> share: the status of a C call and the library's last-error text.
class ResultStatus {
  public:
    bool ok() const noexcept { return status_ == TP_OK; }
    explicit operator bool() const noexcept { return ok(); }
    int32_t status() const noexcept { return status_; }
    const std::string& message() const noexcept { return message_; }
    /// Throws StatusError unless ok().
    void throw_if_error(const char* what = "teleplug call") const {
        if (!ok()) throw StatusError(status_, what, message_);
    }

  protected:
    ResultStatus(int32_t status, std::string message)
        : status_(status), message_(std::move(message)) {}

  private:
    int32_t status_;
    std::string message_;
};

}  // namespace detail

/// The outcome of a C call: a status, the library's last-error text and, on success, a value.
/// `value()` throws StatusError when the call failed. Marked [[nodiscard]]: a status is never
/// dropped silently.
template <class T>
class [[nodiscard]] Result : public detail::ResultStatus {
  public:
    static Result success(T value) { return Result(TP_OK, {}, std::move(value)); }
    static Result failure(int32_t status, std::string message) {
        return Result(status, std::move(message), std::nullopt);
    }
    T& value() & {
        throw_if_error();
        return *value_;
    }
    T&& value() && {
        throw_if_error();
        return std::move(*value_);
    }

  private:
    Result(int32_t status, std::string message, std::optional<T> value)
        : ResultStatus(status, std::move(message)), value_(std::move(value)) {}
    std::optional<T> value_;
};

template <>
class [[nodiscard]] Result<void> : public detail::ResultStatus {
  public:
    static Result success() { return Result(TP_OK, {}); }
    static Result failure(int32_t status, std::string message) {
        return Result(status, std::move(message));
    }
    /// The status of a C call made just before, with the thread's last-error text.
    static Result from_status(int32_t status) {
        return status == TP_OK ? success() : failure(status, last_error_message());
    }
    void value() const { throw_if_error(); }

  private:
    Result(int32_t status, std::string message) : ResultStatus(status, std::move(message)) {}
};

/// Ok when the loaded library speaks this header's ABI (checked again by every Context).
inline Result<void> check_abi() noexcept {
    if (tp_abi_version() == TP_ABI_VERSION) return Result<void>::success();
    return Result<void>::failure(
        TP_ERR_INVALID_ARG, "library ABI " + std::to_string(tp_abi_version()) +
                                ", header ABI " + std::to_string(TP_ABI_VERSION));
}

// ---- schema enums ----------------------------------------------------------------------------

enum class OutputType : int32_t {
    Unspecified = 0,
    Vibrate = 1,
    Rotate = 2,
    Oscillate = 3,
    Constrict = 4,
    Temperature = 5,
    Led = 6,
    Spray = 7,
    Position = 8,
    HwPositionWithDuration = 9,
};

enum class InputType : int32_t {
    Unspecified = 0,
    Battery = 1,
    Rssi = 2,
    Pressure = 3,
    Button = 4,
    Depth = 5,
    Position = 6,
};

enum class InputCommandType : int32_t { Unspecified = 0, Read = 1, Subscribe = 2, Unsubscribe = 3 };

enum class LogLevel : int32_t { Off = 0, Error = 1, Warn = 2, Info = 3, Debug = 4, Trace = 5 };

enum class SimulatorOpKind : int32_t {
    Unspecified = 0,
    Connected = 1,
    Write = 2,
    Read = 3,
    Subscribe = 4,
    Unsubscribe = 5,
    Disconnected = 6,
};

/// Bits of EmbeddedOptions::disabled_transports (TransportBit of the schema).
namespace transport {
constexpr uint32_t bluetooth = 1;
constexpr uint32_t serial = 2;
constexpr uint32_t hid = 4;
/// Every hardware transport: simulated devices only.
constexpr uint32_t all_hardware = bluetooth | serial | hid;
}  // namespace transport

namespace detail {

// The schema's enum value names, indexed by value (the enums above are contiguous from 0).
inline constexpr const char* kOutputTypeNames[] = {
    "OUTPUT_TYPE_UNSPECIFIED", "OUTPUT_TYPE_VIBRATE",  "OUTPUT_TYPE_ROTATE",
    "OUTPUT_TYPE_OSCILLATE",   "OUTPUT_TYPE_CONSTRICT", "OUTPUT_TYPE_TEMPERATURE",
    "OUTPUT_TYPE_LED",         "OUTPUT_TYPE_SPRAY",     "OUTPUT_TYPE_POSITION",
    "OUTPUT_TYPE_HW_POSITION_WITH_DURATION"};
inline constexpr const char* kInputTypeNames[] = {
    "INPUT_TYPE_UNSPECIFIED", "INPUT_TYPE_BATTERY", "INPUT_TYPE_RSSI",    "INPUT_TYPE_PRESSURE",
    "INPUT_TYPE_BUTTON",      "INPUT_TYPE_DEPTH",   "INPUT_TYPE_POSITION"};
inline constexpr const char* kInputCommandTypeNames[] = {
    "INPUT_COMMAND_TYPE_UNSPECIFIED", "INPUT_COMMAND_TYPE_READ", "INPUT_COMMAND_TYPE_SUBSCRIBE",
    "INPUT_COMMAND_TYPE_UNSUBSCRIBE"};
inline constexpr const char* kLogLevelNames[] = {"LOG_LEVEL_OFF",  "LOG_LEVEL_ERROR",
                                                 "LOG_LEVEL_WARN", "LOG_LEVEL_INFO",
                                                 "LOG_LEVEL_DEBUG", "LOG_LEVEL_TRACE"};
inline constexpr const char* kSimulatorOpKindNames[] = {
    "SIMULATOR_OP_KIND_UNSPECIFIED", "SIMULATOR_OP_KIND_CONNECTED",
    "SIMULATOR_OP_KIND_WRITE",       "SIMULATOR_OP_KIND_READ",
    "SIMULATOR_OP_KIND_SUBSCRIBE",   "SIMULATOR_OP_KIND_UNSUBSCRIBE",
    "SIMULATOR_OP_KIND_DISCONNECTED"};

// EnumNames<E>: the name table of a schema enum (names, count), for to_string and enum_from_json.
template <const auto& Names>
struct NameTable {
    static constexpr const char* const* names = Names;
    static constexpr size_t count = std::size(Names);
};
template <class E>
struct EnumNames;
template <>
struct EnumNames<OutputType> : NameTable<kOutputTypeNames> {};
template <>
struct EnumNames<InputType> : NameTable<kInputTypeNames> {};
template <>
struct EnumNames<InputCommandType> : NameTable<kInputCommandTypeNames> {};
template <>
struct EnumNames<LogLevel> : NameTable<kLogLevelNames> {};
template <>
struct EnumNames<SimulatorOpKind> : NameTable<kSimulatorOpKindNames> {};

inline const std::pair<ErrorCode, const char*> kErrorCodeNames[] = {
    {ErrorCode::Unknown, "ERROR_CODE_UNKNOWN"},
    {ErrorCode::Init, "ERROR_CODE_INIT"},
    {ErrorCode::Ping, "ERROR_CODE_PING"},
    {ErrorCode::Message, "ERROR_CODE_MESSAGE"},
    {ErrorCode::Device, "ERROR_CODE_DEVICE"},
    {ErrorCode::NotConnected, "ERROR_CODE_NOT_CONNECTED"},
    {ErrorCode::AlreadyConnected, "ERROR_CODE_ALREADY_CONNECTED"},
    {ErrorCode::InvalidArgument, "ERROR_CODE_INVALID_ARGUMENT"},
    {ErrorCode::ConnectFailed, "ERROR_CODE_CONNECT_FAILED"},
    {ErrorCode::Unsupported, "ERROR_CODE_UNSUPPORTED"},
    {ErrorCode::Panic, "ERROR_CODE_PANIC"},
    {ErrorCode::Shutdown, "ERROR_CODE_SHUTDOWN"},
};

}  // namespace detail

/// The schema name of an enum value, e.g. to_string(OutputType::Vibrate) == "OUTPUT_TYPE_VIBRATE".
/// Values this header does not know (from a newer library) give "".
template <class E, class = decltype(detail::EnumNames<E>::count)>
std::string to_string(E value) {
    auto i = static_cast<size_t>(static_cast<int32_t>(value));
    return i < detail::EnumNames<E>::count ? detail::EnumNames<E>::names[i] : std::string();
}
inline std::string to_string(ErrorCode code) {
    for (const auto& [c, name] : detail::kErrorCodeNames)
        if (c == code) return name;
    return "ERROR_CODE_" + std::to_string(static_cast<int32_t>(code));
}

namespace detail {

// The value of a schema name into `out`; false (and `out` untouched) for a name this header
// does not know.
template <class E>
bool enum_from_name(const std::string& s, E& out) {
    for (size_t i = 0; i < EnumNames<E>::count; ++i)
        if (s == EnumNames<E>::names[i]) {
            out = static_cast<E>(static_cast<int32_t>(i));
            return true;
        }
    return false;
}
inline bool enum_from_name(const std::string& s, ErrorCode& out) {
    for (const auto& [c, name] : kErrorCodeNames)
        if (s == name) {
            out = c;
            return true;
        }
    return false;
}
// Proto3 JSON enums are names; readers also accept the integer. An unknown name (a newer
// library) reads as the integer 0 ("unspecified", ErrorCode::Unknown) rather than failing the
// whole message.
template <class E>
E enum_from_json(const Json& j) {
    if (j.is_number_integer()) return static_cast<E>(j.get<int32_t>());
    E value = static_cast<E>(0);
    if (j.is_string()) enum_from_name(j.get_ref<const std::string&>(), value);
    return value;
}
template <class E>
Json enum_to_json(E value) {
    std::string name = to_string(value);
    if (name.empty()) return static_cast<int32_t>(value);  // a value newer than this header
    return name;
}

// The proto field name of a lowerCamelCase JSON name ("deviceIndex" -> "device_index").
inline std::string proto_name(const char* json_name) {
    std::string s;
    for (const char* p = json_name; *p; ++p) {
        if (*p >= 'A' && *p <= 'Z') {
            s += '_';
            s += char(*p - 'A' + 'a');
        } else {
            s += *p;
        }
    }
    return s;
}
// A field by its JSON name, or by its proto name (readers accept both); null reads as absent.
inline const Json* find(const Json& obj, const char* json_name) {
    if (!obj.is_object()) return nullptr;
    auto it = obj.find(json_name);
    if (it == obj.end()) it = obj.find(proto_name(json_name));
    return (it == obj.end() || it->is_null()) ? nullptr : &*it;
}
// Proto3 JSON omits defaults: a missing field reads as 0 / "" / false / [].
template <class T>
T field(const Json& obj, const char* key, T fallback = T{}) {
    const Json* v = find(obj, key);
    return v == nullptr ? fallback : v->template get<T>();
}
inline const Json& member(const Json& obj, const char* key) {
    static const Json empty = Json::object();
    const Json* v = find(obj, key);
    return v == nullptr ? empty : *v;
}
inline const Json& array_member(const Json& obj, const char* key) {
    static const Json empty = Json::array();
    const Json* v = find(obj, key);
    return (v == nullptr || !v->is_array()) ? empty : *v;
}

// `bytes` fields are standard base64 in proto3 JSON.
inline std::string base64_encode(const std::vector<uint8_t>& data) {
    static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    for (size_t i = 0; i < data.size(); i += 3) {
        uint32_t n = uint32_t(data[i]) << 16;
        if (i + 1 < data.size()) n |= uint32_t(data[i + 1]) << 8;
        if (i + 2 < data.size()) n |= uint32_t(data[i + 2]);
        out += table[(n >> 18) & 63];
        out += table[(n >> 12) & 63];
        out += i + 1 < data.size() ? table[(n >> 6) & 63] : '=';
        out += i + 2 < data.size() ? table[n & 63] : '=';
    }
    return out;
}
inline std::vector<uint8_t> base64_decode(std::string_view text) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+' || c == '-') return 62;  // readers accept the URL-safe alphabet too
        if (c == '/' || c == '_') return 63;
        return -1;
    };
    std::vector<uint8_t> out;
    uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        int v = value(c);
        if (v < 0) continue;  // padding, whitespace
        acc = (acc << 6) | uint32_t(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(uint8_t((acc >> bits) & 0xff));
        }
    }
    return out;
}

// The schema version this header was written against (SCHEMA_VERSION_CURRENT of
// proto/teleplug.proto), sent with every request so a newer library knows what we speak.
inline constexpr uint32_t kSchemaVersion = 1;

// The first byte of JSON text after its leading whitespace (0 for blank text). A raw channel
// tells Buttplug frames ('[') from schema messages ('{') by it, as the library does.
inline char first_json_byte(std::string_view text) noexcept {
    for (char c : text)
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return c;
    return 0;
}
inline bool is_buttplug_frame(std::string_view text) noexcept {
    return first_json_byte(text) == '[';
}

// Set while an event sink of a context runs on this thread (its dispatcher thread).
inline thread_local const void* dispatching_context = nullptr;
struct DispatchScope {
    const void* saved;
    explicit DispatchScope(const void* ctx) noexcept : saved(dispatching_context) {
        dispatching_context = ctx;
    }
    ~DispatchScope() { dispatching_context = saved; }
    DispatchScope(const DispatchScope&) = delete;
    DispatchScope& operator=(const DispatchScope&) = delete;
};

}  // namespace detail

// ---- message values --------------------------------------------------------------------------

/// An inclusive range.
struct Range {
    int32_t min = 0;
    int32_t max = 0;
};

struct OutputDescription {
    OutputType type = OutputType::Unspecified;
    /// Step range of a command value.
    Range value;
    /// Duration range in ms (HwPositionWithDuration only).
    Range duration;
};

struct InputDescription {
    InputType type = InputType::Unspecified;
    std::vector<InputCommandType> commands;
    /// The value range of each channel of a reading.
    std::vector<Range> value;
};

struct FeatureInfo {
    uint32_t index = 0;
    std::string description;
    std::vector<OutputDescription> outputs;
    std::vector<InputDescription> inputs;
};

struct DeviceInfo {
    uint32_t index = 0;
    std::string name;
    /// The user's name for the device; empty when none is set.
    std::string display_name;
    /// Minimum time between two commands the device accepts (ms).
    uint32_t message_gap_ms = 0;
    std::vector<FeatureInfo> features;
};

/// The reply to connect.
struct ServerInfo {
    std::string server_name;
    uint32_t max_ping_time_ms = 0;
    uint32_t protocol_version_major = 0;
    uint32_t protocol_version_minor = 0;
};

struct InputReading {
    uint32_t device_index = 0;
    uint32_t feature_index = 0;
    InputType type = InputType::Unspecified;
    int32_t value = 0;
};

struct LogRecord {
    LogLevel level = LogLevel::Off;
    std::string target;
    std::string message;
};

/// Something an observed simulated device went through (a write, read, subscribe...).
struct SimulatorOp {
    std::string address;
    SimulatorOpKind kind = SimulatorOpKind::Unspecified;
    std::string endpoint;
    std::vector<uint8_t> data;
    /// `data` as text when it is valid UTF-8.
    std::string text;
    bool write_with_response = false;
    /// Connected: the protocol and device name the server identified.
    std::string protocol;
    std::string name;
};

/// Options of the embedded server (EmbeddedOptions of the schema).
struct EmbeddedOptions {
    std::string server_name;
    uint32_t max_ping_time_ms = 0;
    /// Hardware transports switched off (transport:: bits); simulated devices always work.
    uint32_t disabled_transports = 0;
    std::vector<std::string> serial_ports;
    std::string device_config_json;
    std::string user_config_json;
    std::vector<std::string> allowed_clients;
    /// Scans of simulated devices end on their own after this many ms (0: until stopped).
    uint32_t simulator_scan_ms = 0;
};

/// A simulated Lovense toy ("LVS-Sim"): answers "DeviceType;" with `type_reply` (empty: a Hush)
/// and "Battery;" with `battery` percent.
struct SimulatedLovense {
    std::string address;
    std::string type_reply;
    uint32_t battery = 0;
};

/// A simulated BLE device described field by field (SimulatedDeviceSpec of the schema).
struct SimulatedDeviceSpec {
    struct ManufacturerData {
        uint32_t company = 0;
        std::vector<uint8_t> data;
    };
    struct AutoReply {
        std::vector<uint8_t> on_write;
        std::string endpoint;
        std::vector<uint8_t> reply;
    };
    struct ReadValue {
        std::string endpoint;
        std::vector<uint8_t> data;
    };
    std::string name;
    std::string address;
    std::vector<std::string> services;
    std::vector<ManufacturerData> manufacturer_data;
    std::vector<AutoReply> auto_replies;
    std::vector<ReadValue> read_values;
    uint32_t message_gap_ms = 0;
};

namespace detail {

inline Range range_from_json(const Json& j) {
    return Range{field<int32_t>(j, "min"), field<int32_t>(j, "max")};
}

inline FeatureInfo feature_from_json(const Json& j) {
    FeatureInfo f;
    f.index = field<uint32_t>(j, "index");
    f.description = field<std::string>(j, "description");
    for (const auto& o : array_member(j, "outputs")) {
        OutputDescription d;
        d.type = enum_from_json<OutputType>(member(o, "type"));
        d.value = range_from_json(member(o, "value"));
        d.duration = range_from_json(member(o, "duration"));
        f.outputs.push_back(d);
    }
    for (const auto& i : array_member(j, "inputs")) {
        InputDescription d;
        d.type = enum_from_json<InputType>(member(i, "type"));
        for (const auto& c : array_member(i, "commands"))
            d.commands.push_back(enum_from_json<InputCommandType>(c));
        for (const auto& r : array_member(i, "value")) d.value.push_back(range_from_json(r));
        f.inputs.push_back(std::move(d));
    }
    return f;
}

inline DeviceInfo device_from_json(const Json& j) {
    DeviceInfo d;
    d.index = field<uint32_t>(j, "index");
    d.name = field<std::string>(j, "name");
    d.display_name = field<std::string>(j, "displayName");
    d.message_gap_ms = field<uint32_t>(j, "messageGapMs");
    for (const auto& f : array_member(j, "features")) d.features.push_back(feature_from_json(f));
    return d;
}

inline std::vector<DeviceInfo> devices_from_json(const Json& list) {
    std::vector<DeviceInfo> out;
    for (const auto& d : array_member(list, "devices")) out.push_back(device_from_json(d));
    return out;
}

inline ServerInfo server_info_from_json(const Json& j) {
    return ServerInfo{field<std::string>(j, "serverName"), field<uint32_t>(j, "maxPingTimeMs"),
                      field<uint32_t>(j, "protocolVersionMajor"),
                      field<uint32_t>(j, "protocolVersionMinor")};
}

inline InputReading reading_from_json(const Json& j) {
    return InputReading{field<uint32_t>(j, "deviceIndex"), field<uint32_t>(j, "featureIndex"),
                        enum_from_json<InputType>(member(j, "type")), field<int32_t>(j, "value")};
}

inline SimulatorOp simulator_op_from_json(const Json& j) {
    SimulatorOp op;
    op.address = field<std::string>(j, "address");
    op.kind = enum_from_json<SimulatorOpKind>(member(j, "kind"));
    op.endpoint = field<std::string>(j, "endpoint");
    op.data = base64_decode(field<std::string>(j, "data"));
    op.text = field<std::string>(j, "text");
    op.write_with_response = field<bool>(j, "writeWithResponse");
    op.protocol = field<std::string>(j, "protocol");
    op.name = field<std::string>(j, "name");
    return op;
}

inline RequestError error_from_json(const Json& j, uint32_t id) {
    const Json& code = member(j, "code");
    ErrorCode c = enum_from_json<ErrorCode>(code);
    std::string name = code.is_string() ? code.get<std::string>() : to_string(c);
    return RequestError(c, name, field<std::string>(j, "message"), id);
}

// Proto3 JSON omits a field at its default (0, "", []): `key` is set only when `value` is not.
template <class T>
void put(Json& j, const char* key, const T& value) {
    if (value != T{}) j[key] = value;
}

inline Json to_json(const EmbeddedOptions& o) {
    Json j = Json::object();
    put(j, "serverName", o.server_name);
    put(j, "maxPingTimeMs", o.max_ping_time_ms);
    put(j, "disabledTransports", o.disabled_transports);
    put(j, "serialPorts", o.serial_ports);
    put(j, "deviceConfigJson", o.device_config_json);
    put(j, "userConfigJson", o.user_config_json);
    put(j, "allowedClients", o.allowed_clients);
    put(j, "simulatorScanMs", o.simulator_scan_ms);
    return j;
}

inline Json to_json(const SimulatedLovense& l) {
    Json j = Json::object();
    j["address"] = l.address;
    put(j, "typeReply", l.type_reply);
    put(j, "battery", l.battery);
    return j;
}

inline Json to_json(const SimulatedDeviceSpec& s) {
    Json j = Json::object();
    j["name"] = s.name;
    j["address"] = s.address;
    put(j, "services", s.services);
    for (const auto& m : s.manufacturer_data)
        j["manufacturerData"].push_back({{"company", m.company}, {"data", base64_encode(m.data)}});
    for (const auto& a : s.auto_replies)
        j["autoReplies"].push_back({{"onWrite", base64_encode(a.on_write)},
                                    {"endpoint", a.endpoint},
                                    {"reply", base64_encode(a.reply)}});
    for (const auto& r : s.read_values)
        j["readValues"].push_back({{"endpoint", r.endpoint}, {"data", base64_encode(r.data)}});
    put(j, "messageGapMs", s.message_gap_ms);
    return j;
}

}  // namespace detail

// ---- Future ----------------------------------------------------------------------------------

/// The eventual reply to a request: a std::future that refuses to block the dispatcher thread
/// it would be completed on. get() rethrows RequestError / StatusError.
template <class T>
class [[nodiscard]] Future {
  public:
    Future() = default;
    Future(std::future<T> f, const void* context) : f_(std::move(f)), context_(context) {}

    bool valid() const noexcept { return f_.valid(); }
    /// True once the reply (or failure) arrived; never blocks.
    bool ready() const {
        return f_.valid() && f_.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
    }
    void wait() const {
        guard(true);
        f_.wait();
    }
    template <class Rep, class Period>
    std::future_status wait_for(const std::chrono::duration<Rep, Period>& timeout) const {
        guard(timeout.count() > 0);
        return f_.wait_for(timeout);
    }
    /// Wait for the reply and return it (or throw what the request failed with).
    T get() {
        guard(true);
        return f_.get();
    }
    /// Like get(), but throws StatusError(TP_TIMEOUT) when nothing came within `timeout`.
    template <class Rep, class Period>
    T get(const std::chrono::duration<Rep, Period>& timeout) {
        if (wait_for(timeout) != std::future_status::ready)
            throw StatusError(TP_TIMEOUT, "waiting for a reply",
                              "no reply within " +
                                  std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                     timeout)
                                                     .count()) +
                                  " ms");
        return f_.get();
    }
    /// The underlying std::future (for code that composes std::futures).
    std::future<T> release() && { return std::move(f_); }

  private:
    void guard(bool blocking) const {
        if (!f_.valid())
            throw StatusError(TP_ERR_INVALID_ARG, "Future", "empty or already consumed future");
        if (blocking && context_ != nullptr && detail::dispatching_context == context_ && !ready())
            throw StatusError(
                TP_ERR_INVALID_ARG, "Future::get",
                "waiting for a reply inside an event handler of the same context would deadlock "
                "(the reply is delivered on this thread); continue from another thread");
    }
    std::future<T> f_;
    const void* context_ = nullptr;
};

// ---- Context ---------------------------------------------------------------------------------

/// A library context: its async runtime, embedded server and dispatcher thread. Move-only;
/// destruction shuts it down (bounded) and frees every client handle still open in it.
class Context {
  public:
    /// Create a context (`flags`: 0 or TP_CONTEXT_DEBUG). Throws AbiMismatch or StatusError.
    explicit Context(uint32_t flags = 0) : Context(create_or_throw(flags)) {}

    /// Create a context without throwing for C errors (an ABI mismatch fails with
    /// TP_ERR_INVALID_ARG and says so in message()).
    static Result<Context> create(uint32_t flags = 0) noexcept {
        try {
            auto abi = check_abi();
            if (!abi) return Result<Context>::failure(abi.status(), abi.message());
            tp_context* raw = nullptr;
            int32_t st = tp_context_new(flags, &raw);
            if (st != TP_OK) return Result<Context>::failure(st, last_error_message());
            return Result<Context>::success(Context(raw, Adopt{}));
        } catch (...) {
            return Result<Context>::failure(TP_ERR_INTERNAL, "out of memory");
        }
    }

    Context(Context&&) noexcept = default;
    Context& operator=(Context&&) noexcept = default;
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;
    ~Context() = default;

    /// Shut down within `timeout`: pending requests fail with ErrorCode::Shutdown, devices
    /// stop, every client gets its `closed` event, and no handler runs after it returns.
    /// Idempotent. Refused (TP_ERR_INVALID_ARG) inside a handler of this context.
    Result<void> shutdown(std::chrono::milliseconds timeout = std::chrono::seconds(5)) noexcept {
        if (!h_) return Result<void>::failure(TP_ERR_INVALID_HANDLE, "moved-from Context");
        auto ms = timeout.count() < 0 ? 0 : timeout.count();
        return Result<void>::from_status(
            tp_context_shutdown(h_.get(), ms > 0xffffffffLL ? 0xffffffffu : uint32_t(ms)));
    }

    /// Free now (the destructor's work); the object becomes empty.
    void reset() noexcept { h_.reset(); }

    tp_context* native_handle() const noexcept { return h_.get(); }
    explicit operator bool() const noexcept { return h_ != nullptr; }

  private:
    static Context create_or_throw(uint32_t flags) {
        if (tp_abi_version() != TP_ABI_VERSION) throw AbiMismatch(tp_abi_version(), TP_ABI_VERSION);
        return create(flags).value();
    }
    struct Adopt {};
    Context(tp_context* raw, Adopt) noexcept : h_(raw) {}
    struct Deleter {
        void operator()(tp_context* c) const noexcept {
            if (detail::dispatching_context == c)
                std::fprintf(stderr,
                             "teleplug: a Context cannot be freed inside one of its own event "
                             "handlers; the library ignores it and the context leaks\n");
            tp_context_free(c);
        }
    };
    std::unique_ptr<tp_context, Deleter> h_;
};

class Client;
class Device;
class Feature;

namespace detail {

/// The callback adapter (FFI.md §6): owns a std::function on the heap; its address is the
/// client's user_data; the library deletes it through `free` exactly once, after the last
/// callback.
struct EventAdapter {
    std::function<void(const uint8_t*, size_t)> fn;
    const void* context = nullptr;

    static void on_event(void* user_data, const uint8_t* buf, size_t len) noexcept {
        auto* self = static_cast<EventAdapter*>(user_data);
        DispatchScope scope(self->context);
        try {
            self->fn(buf, len);
        } catch (...) {
            // fn catches everything itself; nothing may unwind into the library.
        }
    }
    static void free(void* user_data) noexcept { delete static_cast<EventAdapter*>(user_data); }
};

/// The state behind a Client: the native handle, pending requests, the device list the library
/// reported, handlers. Shared by the Client and the event adapter (so it outlives a handler that
/// closes the client) and referenced weakly by Device/Feature views.
class ClientCore {
  public:
    using Completion = std::function<void(const Json* reply, std::exception_ptr error)>;
    using SubscriptionKey = std::tuple<uint32_t, uint32_t, int32_t>;

    struct Handlers {
        std::function<void(const Device&)> device_added;
        std::function<void(const Device&)> device_removed;
        std::function<void()> device_list_changed;
        std::function<void()> scanning_finished;
        std::function<void(const InputReading&)> input_reading;
        std::function<void(const RequestError&)> error;
        std::function<void(const std::string&)> server_disconnected;
        std::function<void(const LogRecord&)> log;
        std::function<void(const SimulatorOp&)> simulator_op;
        std::function<void(const std::string&)> closed;
        std::function<void(const Json&)> any_event;
        std::function<void(std::string_view)> raw_message;
        /// Buttplug frames (JSON arrays) of a raw channel (TP_FORMAT_BUTTPLUG_JSON).
        std::function<void(std::string_view)> frame;
        std::function<void(std::exception_ptr)> handler_exception;
    };

    explicit ClientCore(const void* context) : context_(context) {}
    ClientCore(const ClientCore&) = delete;
    ClientCore& operator=(const ClientCore&) = delete;

    const void* context() const noexcept { return context_; }

    void attach(tp_client* handle) {
        std::lock_guard<std::mutex> lock(mu_);
        handle_ = handle;
    }

    tp_client* handle() const {
        std::lock_guard<std::mutex> lock(mu_);
        return handle_;
    }

    /// Free the native client (blocks until no callback of it runs, unless called from one),
    /// then fail every request still waiting (their replies can no longer come).
    void close() noexcept {
        tp_client* h = nullptr;
        {
            std::lock_guard<std::mutex> lock(mu_);
            h = handle_;
            handle_ = nullptr;
        }
        if (h != nullptr) tp_client_free(h);
        fail_pending(TP_CLOSED, "the client was closed before the reply arrived");
    }

    /// Send `{"id": n, key: body}`; `done` runs exactly once with the reply or the failure.
    /// Throws StatusError when the request cannot be sent at all.
    void send(const char* key, Json body, Completion done) {
        tp_client* h = nullptr;
        uint32_t id = 0;
        {
            std::lock_guard<std::mutex> lock(mu_);
            if (handle_ == nullptr)
                throw StatusError(TP_ERR_INVALID_HANDLE, std::string("sending ") + key,
                                  "the client is closed");
            do id = next_id_++;
            while (id == 0 || pending_.count(id) != 0);
            pending_.emplace(id, std::move(done));
            h = handle_;
        }
        std::string text;
        try {
            Json msg = Json::object();
            msg["id"] = id;
            msg["schemaVersion"] = kSchemaVersion;
            msg[key] = std::move(body);
            text = msg.dump();
        } catch (const std::exception& e) {
            forget(id);
            throw StatusError(TP_ERR_INVALID_ARG, std::string("encoding ") + key, e.what());
        }
        int32_t st = tp_client_send(h, reinterpret_cast<const uint8_t*>(text.data()), text.size());
        if (st != TP_OK) {
            std::string detail = last_error_message();
            forget(id);
            throw StatusError(st, std::string("sending ") + key, detail);
        }
    }

    /// A typed request: `convert` turns the reply into the future's value.
    template <class T, class Convert>
    Future<T> request(const char* key, Json body, Convert convert,
                      std::function<void()> on_failure = {}) {
        auto promise = std::make_shared<std::promise<T>>();
        Future<T> future(promise->get_future(), context_);
        send(key, std::move(body),
             [promise, convert, on_failure](const Json* reply, std::exception_ptr error) {
                 if (!error) {
                     try {
                         if constexpr (std::is_void_v<T>) {
                             convert(*reply);
                             promise->set_value();
                         } else {
                             promise->set_value(convert(*reply));
                         }
                         return;
                     } catch (...) {
                         error = std::current_exception();
                     }
                 }
                 if (on_failure) on_failure();
                 promise->set_exception(error);
             });
        return future;
    }

    Future<void> request_ok(const char* key, Json body, std::function<void()> on_failure = {}) {
        return request<void>(key, std::move(body), [](const Json&) {}, std::move(on_failure));
    }

    std::vector<DeviceInfo> devices() const {
        std::lock_guard<std::mutex> lock(mu_);
        return devices_;
    }

    /// Replace a handler. Once this returns, the old handler is not running and never runs
    /// again: it waits for a message being dispatched to this client (unless called from the
    /// dispatcher thread itself, e.g. inside one of this client's handlers).
    template <class F>
    void set_handler(F Handlers::*slot, F fn) {
        F old;
        {
            std::lock_guard<std::recursive_mutex> dispatching(dispatch_mu_);
            std::lock_guard<std::mutex> lock(mu_);
            old = std::exchange(handlers_.*slot, std::move(fn));
        }
        // `old` (and whatever it captured) is destroyed here, outside both locks.
    }

    void add_subscription(SubscriptionKey key, std::function<void(int32_t)> fn) {
        std::function<void(int32_t)> old;
        {
            std::lock_guard<std::recursive_mutex> dispatching(dispatch_mu_);
            std::lock_guard<std::mutex> lock(mu_);
            old = std::exchange(subscriptions_[key], std::move(fn));
        }
    }
    void remove_subscription(SubscriptionKey key) {
        std::function<void(int32_t)> old;
        {
            std::lock_guard<std::recursive_mutex> dispatching(dispatch_mu_);
            std::lock_guard<std::mutex> lock(mu_);
            auto it = subscriptions_.find(key);
            if (it == subscriptions_.end()) return;
            old = std::move(it->second);
            subscriptions_.erase(it);
        }
    }

    /// One message from the library (on the dispatcher thread). Never throws.
    inline void on_message(const std::shared_ptr<ClientCore>& self, const uint8_t* buf,
                           size_t len) noexcept;

  private:
    void forget(uint32_t id) {
        std::lock_guard<std::mutex> lock(mu_);
        pending_.erase(id);
    }

    void fail_pending(int32_t status, const std::string& why) noexcept {
        std::map<uint32_t, Completion> pending;
        {
            std::lock_guard<std::mutex> lock(mu_);
            pending.swap(pending_);
        }
        for (auto& [id, done] : pending) {
            try {
                done(nullptr, std::make_exception_ptr(StatusError(status, "request", why)));
            } catch (...) {
            }
        }
    }

    template <class F, class... Args>
    void call_handler(F Handlers::*slot, Args&&... args) noexcept {
        F fn;
        std::function<void(std::exception_ptr)> on_exception;
        {
            std::lock_guard<std::mutex> lock(mu_);
            fn = handlers_.*slot;
            on_exception = handlers_.handler_exception;
        }
        if (!fn) return;
        try {
            fn(std::forward<Args>(args)...);
        } catch (...) {
            report(on_exception, std::current_exception());
        }
    }

    void report_exception(std::exception_ptr e) noexcept {
        std::function<void(std::exception_ptr)> on_exception;
        {
            std::lock_guard<std::mutex> lock(mu_);
            on_exception = handlers_.handler_exception;
        }
        report(on_exception, e);
    }

    static void report(const std::function<void(std::exception_ptr)>& on_exception,
                       std::exception_ptr e) noexcept {
        try {
            if (on_exception) {
                on_exception(e);
                return;
            }
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            std::fprintf(stderr, "teleplug: an event handler threw: %s\n", ex.what());
        } catch (...) {
            std::fprintf(stderr, "teleplug: an event handler threw a non-standard exception\n");
        }
    }

    void upsert_device(const DeviceInfo& d) {
        std::lock_guard<std::mutex> lock(mu_);
        for (auto& existing : devices_)
            if (existing.index == d.index) {
                existing = d;
                return;
            }
        devices_.push_back(d);
    }
    void erase_device(uint32_t index) {
        std::lock_guard<std::mutex> lock(mu_);
        for (auto it = subscriptions_.begin(); it != subscriptions_.end();)
            it = std::get<0>(it->first) == index ? subscriptions_.erase(it) : std::next(it);
        for (auto it = devices_.begin(); it != devices_.end(); ++it)
            if (it->index == index) {
                devices_.erase(it);
                return;
            }
    }
    void replace_devices(std::vector<DeviceInfo> list) {
        std::lock_guard<std::mutex> lock(mu_);
        devices_ = std::move(list);
    }
    void forget_devices() {
        std::lock_guard<std::mutex> lock(mu_);
        devices_.clear();
        subscriptions_.clear();
    }

    inline void on_event(const std::shared_ptr<ClientCore>& self, const Json& m);

    const void* context_;
    /// Held by the dispatcher thread while it delivers one message to this client (handlers,
    /// subscriptions and reply completions), and by handler changes so that a replaced handler
    /// has finished. Recursive: a handler may replace handlers of its own client.
    std::recursive_mutex dispatch_mu_;
    mutable std::mutex mu_;
    tp_client* handle_ = nullptr;
    uint32_t next_id_ = 1;
    std::map<uint32_t, Completion> pending_;
    std::vector<DeviceInfo> devices_;
    std::map<SubscriptionKey, std::function<void(int32_t)>> subscriptions_;
    Handlers handlers_;
};

inline std::shared_ptr<ClientCore> lock_core(const std::weak_ptr<ClientCore>& weak,
                                             const char* what) {
    auto core = weak.lock();
    if (!core) throw StatusError(TP_ERR_INVALID_HANDLE, what, "the client is gone");
    return core;
}

inline Json finite_fraction(double fraction) {
    // JSON has no NaN or infinity; the library checks the range.
    if (!std::isfinite(fraction))
        throw StatusError(TP_ERR_INVALID_ARG, "output", "the fraction must be a finite number");
    return fraction;
}

/// Create the native client of `core` in `ctx`: sink mode in `format`, its messages delivered to
/// `core` through an EventAdapter. Set the core's handlers first: the first message may come
/// before this returns.
inline Result<void> open_client(Context& ctx, const std::shared_ptr<ClientCore>& core,
                                int32_t format, std::string_view name) noexcept {
    try {
        if (!ctx) return Result<void>::failure(TP_ERR_INVALID_HANDLE, "moved-from Context");
        auto adapter = std::make_unique<EventAdapter>();
        adapter->context = ctx.native_handle();
        // The adapter keeps the core alive until the library drops it (after the last
        // callback), so a handler may close the client it runs for.
        adapter->fn = [core](const uint8_t* buf, size_t len) { core->on_message(core, buf, len); };
        tp_client* raw = nullptr;
        int32_t st = tp_client_new(ctx.native_handle(), format,
                                   reinterpret_cast<const uint8_t*>(name.data()), name.size(),
                                   &EventAdapter::on_event, adapter.get(), &EventAdapter::free,
                                   &raw);
        if (st != TP_OK) return Result<void>::failure(st, last_error_message());
        adapter.release();  // owned by the library now
        core->attach(raw);
        return Result<void>::success();
    } catch (...) {
        return Result<void>::failure(TP_ERR_INTERNAL, "out of memory");
    }
}

/// `connect` with this body (e.g. {"embedded": options}); the reply's `connected` as ServerInfo.
inline Future<ServerInfo> connect_request(ClientCore& core, Json body) {
    return core.request<ServerInfo>("connect", std::move(body), [](const Json& reply) {
        return server_info_from_json(member(reply, "connected"));
    });
}

/// `simulatorAdvertise` of one device (`kind`: "lovense" or "spec").
inline Future<void> advertise_request(ClientCore& core, const char* kind, Json device,
                                      bool observe) {
    Json body{{kind, std::move(device)}};
    put(body, "observe", observe);
    return core.request_ok("simulatorAdvertise", std::move(body));
}

}  // namespace detail

// ---- Feature, Device -------------------------------------------------------------------------

/// One feature of a device (an output, inputs, or both), as the library described it. A value
/// view: it refers to its client weakly; commands through it throw StatusError
/// (TP_ERR_INVALID_HANDLE) once the client is gone. Which commands a feature accepts is checked
/// by the library (a RequestError with ErrorCode::Device otherwise).
class Feature {
  public:
    uint32_t index() const noexcept { return info_.index; }
    uint32_t device_index() const noexcept { return device_index_; }
    const std::string& description() const noexcept { return info_.description; }
    const std::vector<OutputDescription>& outputs() const noexcept { return info_.outputs; }
    const std::vector<InputDescription>& inputs() const noexcept { return info_.inputs; }
    const FeatureInfo& info() const noexcept { return info_; }
    bool has_output(OutputType t) const noexcept {
        for (const auto& o : info_.outputs)
            if (o.type == t) return true;
        return false;
    }
    bool has_input(InputType t) const noexcept {
        for (const auto& i : info_.inputs)
            if (i.type == t) return true;
        return false;
    }

    /// Drive an output at `fraction` (0.0-1.0; -1.0-1.0 for Rotate/Temperature); the library
    /// converts it to the feature's steps.
    Future<void> run_output(OutputType type, double fraction, uint32_t duration_ms = 0) const {
        Json body = output_body(type, duration_ms);
        body["fraction"] = detail::finite_fraction(fraction);
        return core("output")->request_ok("output", std::move(body));
    }
    /// Drive an output at a raw step value (in the output's `value` range).
    Future<void> run_output_steps(OutputType type, int32_t steps, uint32_t duration_ms = 0) const {
        Json body = output_body(type, duration_ms);
        body["steps"] = steps;
        return core("output")->request_ok("output", std::move(body));
    }
    Future<void> vibrate(double fraction) const { return run_output(OutputType::Vibrate, fraction); }
    Future<void> rotate(double fraction) const { return run_output(OutputType::Rotate, fraction); }
    Future<void> oscillate(double fraction) const {
        return run_output(OutputType::Oscillate, fraction);
    }
    Future<void> constrict(double fraction) const {
        return run_output(OutputType::Constrict, fraction);
    }
    /// Move to `fraction` of the range over `duration_ms` (HwPositionWithDuration).
    Future<void> position_with_duration(double fraction, uint32_t duration_ms) const {
        return run_output(OutputType::HwPositionWithDuration, fraction, duration_ms);
    }

    /// Read an input once.
    Future<int32_t> read(InputType type) const {
        return core("input")->request<int32_t>(
            "input", input_body(type, InputCommandType::Read), [](const Json& reply) {
                return detail::field<int32_t>(detail::member(reply, "inputReading"), "value");
            });
    }
    Future<int32_t> read_battery() const { return read(InputType::Battery); }

    /// Subscribe to an input: `on_reading` runs on the dispatcher thread with each reading
    /// (until unsubscribe(), a stop with inputs, or the client closes).
    Future<void> subscribe(InputType type, std::function<void(int32_t)> on_reading) const {
        auto c = core("subscribe");
        auto key = subscription_key(type);
        c->add_subscription(key, std::move(on_reading));
        std::weak_ptr<detail::ClientCore> weak = c;
        try {
            return c->request_ok("input", input_body(type, InputCommandType::Subscribe),
                                 [weak, key] {
                                     if (auto k = weak.lock()) k->remove_subscription(key);
                                 });
        } catch (...) {
            c->remove_subscription(key);
            throw;
        }
    }
    Future<void> unsubscribe(InputType type) const {
        auto c = core("unsubscribe");
        auto key = subscription_key(type);
        std::weak_ptr<detail::ClientCore> weak = c;
        return c->request<void>("input", input_body(type, InputCommandType::Unsubscribe),
                                [weak, key](const Json&) {
                                    if (auto k = weak.lock()) k->remove_subscription(key);
                                });
    }

    /// Stop this feature's outputs (and unsubscribe its inputs).
    Future<void> stop() const {
        return core("stop")->request_ok(
            "stop", Json{{"deviceIndex", device_index_}, {"featureIndex", info_.index}});
    }

  private:
    friend class Device;
    Feature(std::weak_ptr<detail::ClientCore> core, uint32_t device_index, FeatureInfo info)
        : core_(std::move(core)), device_index_(device_index), info_(std::move(info)) {}

    std::shared_ptr<detail::ClientCore> core(const char* what) const {
        return detail::lock_core(core_, what);
    }
    Json output_body(OutputType type, uint32_t duration_ms) const {
        Json body{{"deviceIndex", device_index_},
                  {"featureIndex", info_.index},
                  {"type", detail::enum_to_json(type)}};
        if (duration_ms) body["durationMs"] = duration_ms;
        return body;
    }
    Json input_body(InputType type, InputCommandType command) const {
        return Json{{"deviceIndex", device_index_},
                    {"featureIndex", info_.index},
                    {"type", detail::enum_to_json(type)},
                    {"command", detail::enum_to_json(command)}};
    }
    detail::ClientCore::SubscriptionKey subscription_key(InputType type) const {
        return {device_index_, info_.index, static_cast<int32_t>(type)};
    }

    std::weak_ptr<detail::ClientCore> core_;
    uint32_t device_index_ = 0;
    FeatureInfo info_;
};

/// A device as the library last described it (a value view, like Feature).
class Device {
  public:
    uint32_t index() const noexcept { return info_.index; }
    const std::string& name() const noexcept { return info_.name; }
    const std::string& display_name() const noexcept { return info_.display_name; }
    uint32_t message_gap_ms() const noexcept { return info_.message_gap_ms; }
    const DeviceInfo& info() const noexcept { return info_; }

    std::vector<Feature> features() const {
        std::vector<Feature> out;
        for (const auto& f : info_.features) out.push_back(Feature(core_, info_.index, f));
        return out;
    }
    /// The feature with this index; throws StatusError(TP_ERR_INVALID_ARG) if the device has
    /// none.
    Feature feature(uint32_t index) const {
        for (const auto& f : info_.features)
            if (f.index == index) return Feature(core_, info_.index, f);
        throw StatusError(TP_ERR_INVALID_ARG, "Device::feature",
                          "device " + std::to_string(info_.index) + " (" + info_.name +
                              ") has no feature " + std::to_string(index));
    }
    /// The first feature with this output / input, if any.
    std::optional<Feature> find_feature(OutputType t) const {
        for (const auto& f : features())
            if (f.has_output(t)) return f;
        return std::nullopt;
    }
    std::optional<Feature> find_feature(InputType t) const {
        for (const auto& f : features())
            if (f.has_input(t)) return f;
        return std::nullopt;
    }

    /// Stop every output of the device (and unsubscribe its inputs).
    Future<void> stop() const {
        return detail::lock_core(core_, "stop")
            ->request_ok("stop", Json{{"deviceIndex", info_.index}});
    }

  private:
    friend class Client;
    friend class detail::ClientCore;
    Device(std::weak_ptr<detail::ClientCore> core, DeviceInfo info)
        : core_(std::move(core)), info_(std::move(info)) {}
    std::weak_ptr<detail::ClientCore> core_;
    DeviceInfo info_;
};

// ---- event dispatch --------------------------------------------------------------------------

inline void detail::ClientCore::on_message(const std::shared_ptr<ClientCore>& self,
                                           const uint8_t* buf, size_t len) noexcept {
    try {
        std::lock_guard<std::recursive_mutex> dispatching(dispatch_mu_);
        std::string_view text(reinterpret_cast<const char*>(buf), len);
        call_handler(&Handlers::raw_message, text);
        if (is_buttplug_frame(text)) {  // raw channels only: passed on as the library sent it
            call_handler(&Handlers::frame, text);
            return;
        }
        Json m = Json::parse(buf, buf + len);
        uint32_t id = field<uint32_t>(m, "id");
        if (id == 0) {
            on_event(self, m);
            return;
        }
        // A reply: its device list (if any) is the client's state before anyone sees it.
        if (const Json* c = find(m, "connected"))
            replace_devices(devices_from_json(*c));
        else if (const Json* l = find(m, "deviceList"))
            replace_devices(devices_from_json(*l));
        Completion done;
        {
            std::lock_guard<std::mutex> lock(mu_);
            auto it = pending_.find(id);
            if (it == pending_.end()) return;  // failed already (closed)
            done = std::move(it->second);
            pending_.erase(it);
        }
        if (const Json* e = find(m, "error"))
            done(nullptr, std::make_exception_ptr(error_from_json(*e, id)));
        else
            done(&m, nullptr);
    } catch (...) {
        report_exception(std::current_exception());
    }
}

inline void detail::ClientCore::on_event(const std::shared_ptr<ClientCore>& self, const Json& m) {
    std::weak_ptr<ClientCore> weak = self;
    const Json* b = nullptr;
    if ((b = find(m, "deviceAdded"))) {
        DeviceInfo d = device_from_json(member(*b, "device"));
        upsert_device(d);
        call_handler(&Handlers::any_event, m);
        call_handler(&Handlers::device_added, Device(weak, std::move(d)));
    } else if ((b = find(m, "deviceRemoved"))) {
        DeviceInfo d = device_from_json(member(*b, "device"));
        erase_device(d.index);
        call_handler(&Handlers::any_event, m);
        call_handler(&Handlers::device_removed, Device(weak, std::move(d)));
    } else if ((b = find(m, "deviceListChanged"))) {
        replace_devices(devices_from_json(*b));
        call_handler(&Handlers::any_event, m);
        call_handler(&Handlers::device_list_changed);
    } else if ((b = find(m, "scanningFinished"))) {
        call_handler(&Handlers::any_event, m);
        call_handler(&Handlers::scanning_finished);
    } else if ((b = find(m, "inputReading"))) {
        InputReading r = reading_from_json(*b);
        std::function<void(int32_t)> sub;
        {
            std::lock_guard<std::mutex> lock(mu_);
            auto it = subscriptions_.find(
                SubscriptionKey{r.device_index, r.feature_index, static_cast<int32_t>(r.type)});
            if (it != subscriptions_.end()) sub = it->second;
        }
        call_handler(&Handlers::any_event, m);
        if (sub) {
            try {
                sub(r.value);
            } catch (...) {
                report_exception(std::current_exception());
            }
        }
        call_handler(&Handlers::input_reading, r);
    } else if ((b = find(m, "error"))) {
        call_handler(&Handlers::any_event, m);
        call_handler(&Handlers::error, error_from_json(*b, 0));
    } else if ((b = find(m, "serverDisconnected"))) {
        forget_devices();
        call_handler(&Handlers::any_event, m);
        call_handler(&Handlers::server_disconnected, field<std::string>(*b, "reason"));
    } else if ((b = find(m, "log"))) {
        call_handler(&Handlers::any_event, m);
        call_handler(&Handlers::log,
                     LogRecord{enum_from_json<LogLevel>(member(*b, "level")),
                               field<std::string>(*b, "target"), field<std::string>(*b, "message")});
    } else if ((b = find(m, "simulatorOp"))) {
        call_handler(&Handlers::any_event, m);
        call_handler(&Handlers::simulator_op, simulator_op_from_json(*b));
    } else if ((b = find(m, "closed"))) {
        // The last message: the context shut down. Anything still waiting cannot be answered.
        fail_pending(TP_ERR_SHUTDOWN, "the context shut down before the reply arrived");
        call_handler(&Handlers::any_event, m);
        call_handler(&Handlers::closed, field<std::string>(*b, "reason"));
    } else {
        call_handler(&Handlers::any_event, m);  // an event newer than this header
    }
}

// ---- Client ----------------------------------------------------------------------------------

namespace detail {

/// What Client and ButtplugChannel share: the ClientCore they own (freed by their close() and
/// destructor), schema requests, simulated devices and the handlers both have.
class CoreHandle {
  public:
    CoreHandle(const CoreHandle&) = delete;
    CoreHandle& operator=(const CoreHandle&) = delete;

    /// True until close() (or a move from it); a handle whose context shut down stays open
    /// but its calls fail.
    bool is_open() const { return core_ && core_->handle() != nullptr; }
    /// The native handle (nullptr once closed).
    tp_client* native_handle() const { return core_ ? core_->handle() : nullptr; }

    /// Any request of the schema by its JSON body key (e.g. "debug", {{"sleepMs", 10}}), sent
    /// as `{"id", "schemaVersion", key: body}`; the future holds the whole reply, or throws
    /// RequestError for an error reply. For requests the class has no method for.
    Future<Json> request(const std::string& body_key, Json body) {
        return core("request")->request<Json>(body_key.c_str(), std::move(body),
                                              [](const Json& reply) { return reply; });
    }

    /// Advertise a simulated device to the embedded server (found by the next scan). With
    /// `observe`, what the device goes through comes as on_simulator_op events.
    Future<void> simulator_advertise(const SimulatedLovense& toy, bool observe = true) {
        return advertise_request(*core("simulator_advertise"), "lovense", to_json(toy), observe);
    }
    /// Advertise a simulated device described field by field (see above).
    Future<void> simulator_advertise(const SimulatedDeviceSpec& spec, bool observe = true) {
        return advertise_request(*core("simulator_advertise"), "spec", to_json(spec), observe);
    }

    // -- events (each handler runs on the dispatcher thread; set one to replace it, {} clears) --

    /// What observed simulated devices go through.
    void on_simulator_op(std::function<void(const SimulatorOp&)> fn) {
        set(&Handlers::simulator_op, std::move(fn));
    }
    /// Every event as the library sent it (a JSON object without id), before its typed handler;
    /// the last one is `closed`.
    void on_event(std::function<void(const Json&)> fn) {
        set(&Handlers::any_event, std::move(fn));
    }
    /// Exceptions thrown by handlers (default: printed to stderr). They never reach the library.
    void on_handler_exception(std::function<void(std::exception_ptr)> fn) {
        set(&Handlers::handler_exception, std::move(fn));
    }

  protected:
    using Handlers = ClientCore::Handlers;

    /// `kind` names the class in the error of a moved-from handle.
    CoreHandle(std::shared_ptr<ClientCore> core, const char* kind) noexcept
        : core_(std::move(core)), kind_(kind) {}
    CoreHandle(CoreHandle&&) noexcept = default;
    CoreHandle& operator=(CoreHandle&& other) noexcept {
        if (this != &other) {
            release();
            core_ = std::move(other.core_);
        }
        return *this;
    }
    ~CoreHandle() { release(); }

    /// Free the native client (idempotent); requests still waiting fail with TP_CLOSED.
    void release() noexcept {
        if (core_) core_->close();
    }
    std::shared_ptr<ClientCore> core(const char* what) const {
        if (!core_)
            throw StatusError(TP_ERR_INVALID_HANDLE, what, std::string("moved-from ") + kind_);
        return core_;
    }
    template <class F>
    void set(F Handlers::*slot, F fn) {
        core("set handler")->set_handler(slot, std::move(fn));
    }

  private:
    std::shared_ptr<ClientCore> core_;
    const char* kind_;
};

}  // namespace detail

/// A client of a context, connected to the embedded server or a remote one. Move-only; the
/// destructor (or close()) frees it: its connection closes and every device stops. Legal inside
/// one of its own event handlers.
class Client : public detail::CoreHandle {
  public:
    /// Create a client named `name` (UTF-8) in `ctx`. Throws StatusError.
    explicit Client(Context& ctx, std::string_view name = {})
        : Client(create(ctx, name).value()) {}

    static Result<Client> create(Context& ctx, std::string_view name = {}) noexcept {
        try {
            auto core = std::make_shared<detail::ClientCore>(ctx.native_handle());
            auto opened = detail::open_client(ctx, core, TP_FORMAT_JSON, name);
            if (!opened) return Result<Client>::failure(opened.status(), opened.message());
            return Result<Client>::success(Client(std::move(core)));
        } catch (...) {
            return Result<Client>::failure(TP_ERR_INTERNAL, "out of memory");
        }
    }

    Client(Client&&) noexcept = default;
    Client& operator=(Client&&) noexcept = default;

    /// Free the native client now. Requests still waiting fail with StatusError(TP_CLOSED).
    /// Idempotent.
    void close() noexcept { release(); }

    // -- connection --

    /// Connect to the embedded server with default options (every hardware transport).
    Future<ServerInfo> connect() { return connect_body(Json::object()); }
    /// Connect to the embedded server with these options.
    Future<ServerInfo> connect(const EmbeddedOptions& options) {
        return connect_body(Json{{"embedded", detail::to_json(options)}});
    }
    /// Connect to a remote Buttplug server ("ws://host:port": Intiface, `teleplug serve`).
    Future<ServerInfo> connect(std::string_view url) {
        return connect_body(Json{{"remote", {{"url", std::string(url)}}}});
    }
    Future<void> disconnect() { return core("disconnect")->request_ok("disconnect", Json::object()); }
    Future<void> ping() { return core("ping")->request_ok("ping", Json::object()); }

    // -- devices --

    Future<void> start_scanning() {
        return core("start_scanning")->request_ok("startScanning", Json::object());
    }
    Future<void> stop_scanning() {
        return core("stop_scanning")->request_ok("stopScanning", Json::object());
    }
    /// The devices as the library last reported them (connect reply, device events, lists).
    std::vector<Device> devices() const {
        auto c = core("devices");
        std::vector<Device> out;
        for (auto& d : c->devices()) out.push_back(Device(c, std::move(d)));
        return out;
    }
    std::optional<Device> device(uint32_t index) const {
        for (auto& d : devices())
            if (d.index() == index) return d;
        return std::nullopt;
    }
    /// Ask the server for its device list (also refreshes devices()).
    Future<std::vector<Device>> request_device_list() {
        auto c = core("request_device_list");
        std::weak_ptr<detail::ClientCore> weak = c;
        return c->request<std::vector<Device>>(
            "requestDeviceList", Json::object(), [weak](const Json& reply) {
                std::vector<Device> out;
                for (auto& d : detail::devices_from_json(detail::member(reply, "deviceList")))
                    out.push_back(Device(weak, std::move(d)));
                return out;
            });
    }
    /// Stop every device.
    Future<void> stop_all_devices() { return core("stop")->request_ok("stop", Json::object()); }

    /// Receive the library's log records as on_log events (LogLevel::Off stops them).
    Future<void> subscribe_logs(LogLevel max_level) {
        return core("subscribe_logs")
            ->request_ok("subscribeLogs", Json{{"maxLevel", detail::enum_to_json(max_level)}});
    }

    // -- simulated devices (embedded server; simulator_advertise is CoreHandle's) --

    /// The device notifies `data` on `endpoint` (which the protocol must have subscribed).
    Future<void> simulator_notify(const std::string& address, const std::string& endpoint,
                                  const std::vector<uint8_t>& data) {
        return endpoint_data("simulator_notify", "simulatorNotify", address, endpoint, data);
    }
    /// Queue the answer to the next read of `endpoint`.
    Future<void> simulator_queue_read(const std::string& address, const std::string& endpoint,
                                      const std::vector<uint8_t>& data) {
        return endpoint_data("simulator_queue_read", "simulatorQueueRead", address, endpoint, data);
    }
    Future<void> simulator_disconnect(const std::string& address) {
        return core("simulator_disconnect")
            ->request_ok("simulatorDisconnect", Json{{"address", address}});
    }

    // -- events (each handler runs on the dispatcher thread; set one to replace it, {} clears;
    //    on_simulator_op, on_event and on_handler_exception are CoreHandle's) --

    void on_device_added(std::function<void(const Device&)> fn) {
        set(&Handlers::device_added, std::move(fn));
    }
    void on_device_removed(std::function<void(const Device&)> fn) {
        set(&Handlers::device_removed, std::move(fn));
    }
    /// After the added/removed events of a change; devices() holds the new list.
    void on_device_list_changed(std::function<void()> fn) {
        set(&Handlers::device_list_changed, std::move(fn));
    }
    void on_scanning_finished(std::function<void()> fn) {
        set(&Handlers::scanning_finished, std::move(fn));
    }
    /// Every subscription reading (after the Feature::subscribe callback for it).
    void on_input_reading(std::function<void(const InputReading&)> fn) {
        set(&Handlers::input_reading, std::move(fn));
    }
    /// Error events (request_id() 0), e.g. the server's ping timeout.
    void on_error(std::function<void(const RequestError&)> fn) {
        set(&Handlers::error, std::move(fn));
    }
    void on_server_disconnected(std::function<void(const std::string& reason)> fn) {
        set(&Handlers::server_disconnected, std::move(fn));
    }
    void on_log(std::function<void(const LogRecord&)> fn) {
        set(&Handlers::log, std::move(fn));
    }
    /// The last event: the context shut down.
    void on_closed(std::function<void(const std::string& reason)> fn) {
        set(&Handlers::closed, std::move(fn));
    }
    /// Every message (replies and events) as the library's JSON text, before it is parsed. The
    /// text is only valid during the call.
    void on_raw_message(std::function<void(std::string_view)> fn) {
        set(&Handlers::raw_message, std::move(fn));
    }

  private:
    explicit Client(std::shared_ptr<detail::ClientCore> core) noexcept
        : CoreHandle(std::move(core), "Client") {}

    // A simulator request that hands `data` to an endpoint of the device at `address`.
    Future<void> endpoint_data(const char* what, const char* key, const std::string& address,
                               const std::string& endpoint, const std::vector<uint8_t>& data) {
        return core(what)->request_ok(key, Json{{"address", address},
                                                {"endpoint", endpoint},
                                                {"data", detail::base64_encode(data)}});
    }
    Future<ServerInfo> connect_body(Json body) {
        return detail::connect_request(*core("connect"), std::move(body));
    }
};

// ---- ButtplugChannel ---------------------------------------------------------------------------

namespace detail {

/// The Buttplug frames a raw channel received while no on_frame handler was set, for
/// ButtplugChannel::receive(). Shared by the channel and the handlers that fill it.
class FrameQueue {
  public:
    void push(std::string_view frame) {
        std::lock_guard<std::mutex> lock(mu_);
        frames_.emplace_back(frame);
        cv_.notify_all();
    }
    /// No frame comes after this: the channel was closed or its context shut down.
    void finish() noexcept {
        std::lock_guard<std::mutex> lock(mu_);
        finished_ = true;
        cv_.notify_all();
    }
    /// The oldest frame, waiting up to `timeout`; nullopt when none came. Throws
    /// StatusError(TP_CLOSED) once finished and drained.
    std::optional<std::string> pop(std::chrono::milliseconds timeout) {
        std::unique_lock<std::mutex> lock(mu_);
        if (timeout.count() > 0)
            cv_.wait_for(lock, timeout, [this] { return !frames_.empty() || finished_; });
        if (frames_.empty()) {
            if (finished_)
                throw StatusError(TP_CLOSED, "ButtplugChannel::receive",
                                  "the channel is closed and every frame was received");
            return std::nullopt;
        }
        std::string frame = std::move(frames_.front());
        frames_.pop_front();
        return frame;
    }
    /// The frame handler that queues frames for pop().
    static std::function<void(std::string_view)> sink(std::shared_ptr<FrameQueue> queue) {
        return [queue = std::move(queue)](std::string_view frame) { queue->push(frame); };
    }

  private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::string> frames_;
    bool finished_ = false;
};

}  // namespace detail

/// A raw channel to the embedded server (TP_FORMAT_BUTTPLUG_JSON): Buttplug spec frames (JSON
/// array text) go to the server as they are and the server's frames come back unchanged, in
/// process, without a WebSocket. For an existing Buttplug client (give it send() and on_frame()
/// as its connector) or a test harness. Which Buttplug version is spoken is the client's choice
/// in its RequestServerInfo (v4, or v3 with "MessageVersion").
///
/// Besides frames, the channel takes schema requests (JSON objects of proto/teleplug.proto, as
/// for Client): connect() with EmbeddedOptions before the first frame (otherwise the server
/// starts with default options at the first frame), simulated devices, and any other request
/// through request(). Their replies complete futures; schema events (simulatorOp, error, closed)
/// go to on_event().
///
/// Incoming frames go to the on_frame handler when one is set, otherwise into a queue that
/// receive() reads; use one or the other. Move-only; the destructor (or close()) frees the
/// native client and stops the server's devices. Legal inside one of its own handlers.
class ButtplugChannel : public detail::CoreHandle {
  public:
    /// Create a channel named `name` (UTF-8) in `ctx`. Throws StatusError.
    explicit ButtplugChannel(Context& ctx, std::string_view name = {})
        : ButtplugChannel(create(ctx, name).value()) {}

    /// Create a channel without throwing for C errors.
    static Result<ButtplugChannel> create(Context& ctx, std::string_view name = {}) noexcept {
        try {
            auto core = std::make_shared<detail::ClientCore>(ctx.native_handle());
            auto frames = std::make_shared<detail::FrameQueue>();
            // Before the native client exists, so no frame and no `closed` can be missed.
            core->set_handler(&Handlers::frame, detail::FrameQueue::sink(frames));
            core->set_handler(&Handlers::closed, std::function<void(const std::string&)>(
                                                     [frames](const std::string&) {
                                                         frames->finish();
                                                     }));
            auto opened = detail::open_client(ctx, core, TP_FORMAT_BUTTPLUG_JSON, name);
            if (!opened)
                return Result<ButtplugChannel>::failure(opened.status(), opened.message());
            return Result<ButtplugChannel>::success(
                ButtplugChannel(std::move(core), std::move(frames)));
        } catch (...) {
            return Result<ButtplugChannel>::failure(TP_ERR_INTERNAL, "out of memory");
        }
    }

    ButtplugChannel(ButtplugChannel&&) noexcept = default;
    ButtplugChannel& operator=(ButtplugChannel&& other) noexcept {
        if (this != &other) {
            close();
            CoreHandle::operator=(std::move(other));
            frames_ = std::move(other.frames_);
        }
        return *this;
    }
    ~ButtplugChannel() { close(); }

    /// Free the native client now: the server connection closes and its devices stop. Requests
    /// still waiting fail with StatusError(TP_CLOSED); receive() returns the frames already
    /// queued, then throws StatusError(TP_CLOSED). Idempotent.
    void close() noexcept {
        release();
        if (frames_) frames_->finish();
    }

    // -- Buttplug frames --

    /// Send one Buttplug frame (a JSON array, e.g. `[{"Ping":{"Id":5}}]`) as it is; its
    /// answer comes back as a frame. Returns once the library queued it. Throws StatusError
    /// with the library's status and text when it refuses it (TP_ERR_DECODE: not a JSON array;
    /// TP_ERR_BUSY; TP_ERR_SHUTDOWN; TP_ERR_INVALID_HANDLE once closed), and TP_ERR_INVALID_ARG
    /// for a JSON object: objects are schema requests, sent with request() so their replies
    /// find their futures. What a frame asks of the server (its Buttplug message) is judged by
    /// the server, which answers with an Error frame.
    void send(std::string_view frame) {
        const char* what = "ButtplugChannel::send";
        auto c = core(what);
        if (detail::first_json_byte(frame) == '{')
            throw StatusError(TP_ERR_INVALID_ARG, what,
                              "a Buttplug frame is a JSON array; JSON objects are schema "
                              "requests: send them with request()");
        tp_client* h = c->handle();
        if (h == nullptr) throw StatusError(TP_ERR_INVALID_HANDLE, what, "the channel is closed");
        int32_t st =
            tp_client_send(h, reinterpret_cast<const uint8_t*>(frame.data()), frame.size());
        if (st != TP_OK) throw StatusError(st, what, last_error_message());
    }
    /// Send one Buttplug frame (text; see send(std::string_view)).
    void send(const std::string& frame) { send(std::string_view(frame)); }
    /// Send one Buttplug frame (text; see send(std::string_view)).
    void send(const char* frame) { send(std::string_view(frame ? frame : "")); }
    /// Send one Buttplug frame given as JSON (it must be an array: TP_ERR_INVALID_ARG
    /// otherwise, or when it holds text that is not UTF-8).
    void send(const Json& frame) {
        if (!frame.is_array())
            throw StatusError(TP_ERR_INVALID_ARG, "ButtplugChannel::send",
                              "a Buttplug frame is a JSON array");
        std::string text;
        try {
            text = frame.dump();
        } catch (const std::exception& e) {
            throw StatusError(TP_ERR_INVALID_ARG, "ButtplugChannel::send", e.what());
        }
        send(std::string_view(text));
    }

    /// The next frame the server sent (JSON array text), waiting up to `timeout`; nullopt when
    /// none came in time. Throws StatusError(TP_CLOSED) once the channel is closed (or its
    /// context shut down) and every frame was received. Frames are queued only while no
    /// on_frame handler is set. Inside a handler of the same context only a zero timeout is
    /// allowed (waiting there would block the thread that delivers the frames:
    /// StatusError(TP_ERR_INVALID_ARG)).
    std::optional<std::string> receive(std::chrono::milliseconds timeout) {
        auto c = core("ButtplugChannel::receive");
        if (timeout.count() > 0 && detail::dispatching_context != nullptr &&
            detail::dispatching_context == c->context())
            throw StatusError(TP_ERR_INVALID_ARG, "ButtplugChannel::receive",
                              "waiting for a frame inside an event handler of the same context "
                              "would block its delivery; use a zero timeout or on_frame()");
        return frames_->pop(timeout);
    }

    /// Receive each frame in `fn` instead (on the dispatcher thread, in order; the text is only
    /// valid during the call). Frames already queued stay for receive(). Replacing the handler
    /// waits until the old one has finished (except inside a handler); {} queues frames again.
    void on_frame(std::function<void(std::string_view)> fn) {
        auto c = core("set handler");
        c->set_handler(&Handlers::frame, fn ? std::move(fn) : detail::FrameQueue::sink(frames_));
    }

    // -- schema requests (JSON objects) --

    /// Start the embedded server with these options; only before the first frame (afterwards
    /// a RequestError with ErrorCode::AlreadyConnected). The ServerInfo has the server's name
    /// and ping time; the protocol version is negotiated by the Buttplug client's handshake.
    Future<ServerInfo> connect(const EmbeddedOptions& options) {
        return detail::connect_request(*core("connect"),
                                       Json{{"embedded", detail::to_json(options)}});
    }
    // simulator_advertise, request() and the on_event, on_simulator_op and
    // on_handler_exception handlers are CoreHandle's. Requests that drive a Buttplug client
    // (scanning, outputs, ...) are refused on a raw channel (ErrorCode::Unsupported): send
    // frames for them. After the `closed` event pending requests have failed and no frame comes.

  private:
    ButtplugChannel(std::shared_ptr<detail::ClientCore> core,
                    std::shared_ptr<detail::FrameQueue> frames) noexcept
        : CoreHandle(std::move(core), "ButtplugChannel"), frames_(std::move(frames)) {}

    std::shared_ptr<detail::FrameQueue> frames_;
};

// ---- process-wide log callback ---------------------------------------------------------------

namespace detail {

struct LogState {
    std::mutex mu;
    std::unique_ptr<std::function<void(LogLevel, std::string_view)>> current;
};
// Never destroyed: the library's log thread may outlive static destruction.
inline LogState& log_state() {
    static LogState* state = new LogState();
    return *state;
}
inline thread_local bool in_log_callback = false;

inline void log_trampoline(void* user_data, int32_t level, const uint8_t* msg,
                           size_t len) noexcept {
    auto* fn = static_cast<std::function<void(LogLevel, std::string_view)>*>(user_data);
    in_log_callback = true;
    try {
        (*fn)(static_cast<LogLevel>(level),
              std::string_view(reinterpret_cast<const char*>(msg), len));
    } catch (...) {
    }
    in_log_callback = false;
}

}  // namespace detail

/// Send the library's log records up to `max_level` to `handler` (on a library log thread).
/// Replaces the previous handler: when this returns, the previous one is not running and never
/// runs again. An empty handler or LogLevel::Off clears it. Not callable from inside the log
/// handler (TP_ERR_INVALID_ARG).
inline Result<void> set_log_handler(std::function<void(LogLevel, std::string_view)> handler,
                                    LogLevel max_level) {
    if (detail::in_log_callback)
        return Result<void>::failure(TP_ERR_INVALID_ARG,
                                     "the log handler cannot be replaced from inside itself");
    auto abi = check_abi();
    if (!abi) return abi;
    auto& state = detail::log_state();
    std::lock_guard<std::mutex> lock(state.mu);
    std::unique_ptr<std::function<void(LogLevel, std::string_view)>> next;
    int32_t st;
    if (handler && max_level != LogLevel::Off) {
        next = std::make_unique<std::function<void(LogLevel, std::string_view)>>(
            std::move(handler));
        st = tp_log_set_callback(&detail::log_trampoline, next.get(),
                                 static_cast<int32_t>(max_level));
    } else {
        st = tp_log_set_callback(nullptr, nullptr, TP_LOG_OFF);
    }
    if (st != TP_OK) return Result<void>::failure(st, last_error_message());
    state.current = std::move(next);  // the previous handler is no longer running
    return Result<void>::success();
}

inline Result<void> clear_log_handler() { return set_log_handler({}, LogLevel::Off); }

}  // namespace teleplug

#endif  // TELEPLUG_HPP
