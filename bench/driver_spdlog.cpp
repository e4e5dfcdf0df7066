/* driver_spdlog.cpp: spdlog, asynchronous and synchronous.
 *
 * Both variants write through spdlog's basic_file_sink_mt (a buffered FILE
 * under the sink's mutex). "spdlog async" puts an async_logger in front of
 * it: a thread pool of one worker and spdlog's default queue of 8192
 * messages, blocking when the queue is full (spdlog's default policy, and
 * the one that loses nothing, so the line count can be checked).
 *
 * spdlog formats the line itself: its pattern supplies the timestamp (UTC,
 * microseconds), the level, the logger name, the function, the line, the
 * process id and the thread id; the call's fmt format supplies category,
 * message and the context and metadata objects. spdlog has one payload
 * slot (%v), so its members come in a different order from ours: same
 * members, same values, same size. Two custom pattern flags, spdlog's
 * documented extension point, complete it: %* writes the level in upper case
 * like our lines, and %& the process id. spdlog's own %P calls getpid() for
 * every record, a system call; every other peer here (and NetLink Logging)
 * caches the process id, so spdlog gets a cached one too (%t, the thread id,
 * is already cached per thread by spdlog).
 *
 * SPDLOG_ACTIVE_LEVEL is set to TRACE so that the DEBUG call is filtered at
 * run time, by the logger's level, like every other peer here; with the
 * default compile-time level the call would not exist at all. */
#define SPDLOG_ACTIVE_LEVEL SPDLOG_LEVEL_TRACE

#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/details/fmt_helper.h>
#include <spdlog/details/os.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>
#include <spdlog/version.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "harness.h"

namespace
{

class upper_level final : public spdlog::custom_flag_formatter
{
  public:
    void format(const spdlog::details::log_msg &msg, const std::tm &,
                spdlog::memory_buf_t &dest) override
    {
        static const char *const names[] = {"TRACE", "DEBUG",    "INFO", "WARNING",
                                            "ERROR", "CRITICAL", "OFF"};
        const char *s = names[msg.level];
        dest.append(s, s + std::strlen(s));
    }
    std::unique_ptr<custom_flag_formatter> clone() const override
    {
        return std::make_unique<upper_level>();
    }
};

class cached_pid final : public spdlog::custom_flag_formatter
{
  public:
    void format(const spdlog::details::log_msg &, const std::tm &,
                spdlog::memory_buf_t &dest) override
    {
        spdlog::details::fmt_helper::append_int(pid_, dest);
    }
    std::unique_ptr<custom_flag_formatter> clone() const override
    {
        return std::make_unique<cached_pid>();
    }

  private:
    int pid_ = spdlog::details::os::pid();
};

const char pattern[] = R"({"timestamp":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%*","module":"%n",)"
                       R"("function":"%!","line":%#,%v,"process_id":%&,"thread_id":%t})";

std::shared_ptr<spdlog::details::thread_pool> pool;
std::shared_ptr<spdlog::logger> owner;
spdlog::logger *lg;

} // namespace

#define PAYLOAD                                                                                    \
    R"("category":"{}","message":"{}","context":{{"request_id":{},"user_id":"{}"}},)"              \
    R"("metadata":{{"auth_method":"{}"}})"

BENCH_INLINE void log_one(uint64_t i)
{
    SPDLOG_LOGGER_INFO(lg, PAYLOAD, BENCH_CATEGORY, BENCH_MESSAGE, i, BENCH_USER_ID,
                       BENCH_AUTH_METHOD);
}

BENCH_INLINE void log_disabled(uint64_t i)
{
    SPDLOG_LOGGER_DEBUG(lg, PAYLOAD, BENCH_CATEGORY, BENCH_MESSAGE, i, BENCH_USER_ID,
                        BENCH_AUTH_METHOD);
}

#include "loops.h"

namespace
{

int open_mode(const char *dir, bool async, const char *file)
{
    std::string path = std::string(dir) + "/" + file;
    try {
        auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, true);
        if (async) {
            pool = std::make_shared<spdlog::details::thread_pool>(8192, 1);
            owner = std::make_shared<spdlog::async_logger>(BENCH_LOGGER, sink, pool,
                                                           spdlog::async_overflow_policy::block);
        } else {
            owner = std::make_shared<spdlog::logger>(BENCH_LOGGER, sink);
        }
        auto f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
        f->add_flag<upper_level>('*').add_flag<cached_pid>('&').set_pattern(pattern);
        owner->set_formatter(std::move(f));
        owner->set_level(spdlog::level::info);
    } catch (const std::exception &e) {
        bench_die("spdlog: %s", e.what());
    }
    lg = owner.get();
    return 0;
}

int open_async(const char *dir, char *, size_t)
{
    return open_mode(dir, true, "spdlog_async.log");
}

int open_sync(const char *dir, char *, size_t)
{
    return open_mode(dir, false, "spdlog_sync.log");
}

/* The async logger's queued messages hold references to it; the pool's
 * destructor lets its worker drain the queue and then joins it, after which
 * the last reference goes and the sink closes its file. */
void close_spdlog()
{
    lg->flush();
    lg = nullptr;
    owner.reset();
    pool.reset();
}

const char *version()
{
    static const std::string v = std::to_string(SPDLOG_VER_MAJOR) + "." +
                                 std::to_string(SPDLOG_VER_MINOR) + "." +
                                 std::to_string(SPDLOG_VER_PATCH);
    return v.c_str();
}

} // namespace

extern "C" const bench_driver bench_driver_spdlog_async = {
    "spdlog async", "spdlog_async.log", open_async, close_spdlog, BENCH_LOOPS, version,
};

extern "C" const bench_driver bench_driver_spdlog_sync = {
    "spdlog sync", "spdlog_sync.log", open_sync, close_spdlog, BENCH_LOOPS, version,
};
