#include "device/logind.hpp"

#include <fcntl.h>

#include <cstring>

#include <spdlog/spdlog.h>

namespace ferry::device {
namespace {

constexpr const char* kService = "org.freedesktop.login1";
constexpr const char* kPath = "/org/freedesktop/login1";
constexpr const char* kInterface = "org.freedesktop.login1.Manager";

BusValueSpec preparingForSleep() {
  return {.source = "logind", .service = kService, .path = kPath, .interface = kInterface, .member = "PreparingForSleep", .type = 'b'};
}

}  // namespace

SleepWatch::SleepWatch(BusConnection& bus, std::function<void(bool)> on_sleep, std::function<void()> on_changed)
    : bus_(bus),
      on_sleep_(std::move(on_sleep)),
      presence_(bus, preparingForSleep(), [this, on_changed = std::move(on_changed)](bool available, const auto&) {
        if (!available) {
          lock_.reset();
          pending_inhibit_.reset();
          if (sleeping_) {
            sleeping_ = false;
            on_sleep_(false);
          }
        }
        updateLock();
        on_changed();
      }) {
  signal_match_ = addMatch(bus_, signalRule(kService, kPath, kInterface, "PrepareForSleep"), &SleepWatch::onPrepareForSleep, this);
}

SleepWatch::~SleepWatch() = default;

int SleepWatch::onPrepareForSleep(sd_bus_message* m, void* self, sd_bus_error*) {
  auto& w = *static_cast<SleepWatch*>(self);
  int going = 0;
  if (sd_bus_message_read_basic(m, 'b', &going) < 0) {
    spdlog::warn("device: logind's PrepareForSleep carried no boolean; ignored");
    return 0;
  }
  if ((going != 0) == w.sleeping_) return 0;
  w.sleeping_ = going != 0;
  spdlog::info("device: {}", w.sleeping_ ? "the machine is about to sleep: checkpointing transfers" : "the machine woke up");
  w.updateLock();
  w.on_sleep_(w.sleeping_);
  return 0;
}

void SleepWatch::setBusy(bool busy) {
  busy_ = busy;
  updateLock();
}

void SleepWatch::readyToSleep() {
  if (!sleeping_) return;
  if (lock_) spdlog::info("device: transfers checkpointed; releasing the sleep inhibitor");
  lock_.reset();
  pending_inhibit_.reset();
}

// Wanted: transfers run, logind is there, and the machine is not on its way to sleep (then the
// lock goes once the transfers are checkpointed: readyToSleep).
void SleepWatch::updateLock() {
  const bool wanted = busy_ && available() && !sleeping_;
  if (!wanted) {
    if (!sleeping_) {
      lock_.reset();
      pending_inhibit_.reset();
    }
    return;
  }
  if (lock_ || pending_inhibit_) return;
  sd_bus_slot* slot = nullptr;
  const int r = sd_bus_call_method_async(bus_.get(), &slot, kService, kPath, kInterface, "Inhibit", &SleepWatch::onInhibitReply, this,
                                         "ssss", "sleep", "ferryd", "making running transfers durable before sleep", "delay");
  if (r < 0) {
    spdlog::warn("device: cannot ask logind for a sleep inhibitor: {}", std::strerror(-r));
    return;
  }
  pending_inhibit_.reset(slot);
  bus_.kick();
}

int SleepWatch::onInhibitReply(sd_bus_message* m, void* self, sd_bus_error*) {
  auto& w = *static_cast<SleepWatch*>(self);
  if (const sd_bus_error* error = sd_bus_message_get_error(m)) {
    spdlog::warn("device: logind refused a sleep inhibitor: {}", error->message ? error->message : error->name);
  } else {
    int fd = -1;
    if (sd_bus_message_read_basic(m, 'h', &fd) < 0 || fd < 0) {
      spdlog::warn("device: logind's answer to Inhibit held no file descriptor; running without the lock");
    } else if (w.busy_ && !w.sleeping_) {
      // The message owns its descriptor: keep a copy of our own.
      w.lock_.reset(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
      spdlog::debug("device: holding a sleep delay inhibitor");
    }
  }
  w.pending_inhibit_.reset();
  return 0;
}

}  // namespace ferry::device
