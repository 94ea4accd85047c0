#pragma once
// logind as the source of sleep: a "delay" inhibitor lock (what="sleep") held while transfers
// run, so that a suspend waits (at most logind's InhibitDelayMaxSec, 5 s by default) until ferryd
// has made their bytes durable; PrepareForSleep(true) says the machine is about to sleep,
// PrepareForSleep(false) that it woke. Without logind on the bus nothing is held and a suspend
// is what it was before: a network fault the retries get over.

#include <functional>
#include <optional>

#include "common/unique_fd.hpp"
#include "device/bus_value.hpp"

namespace ferry::device {

class SleepWatch {
 public:
  // sleeping: true when the machine is about to sleep, false when it woke (or logind left, which
  // wakes nobody up but ends what ferryd waited for). changed: availability changed.
  SleepWatch(BusConnection& bus, std::function<void(bool sleeping)> on_sleep, std::function<void()> on_changed);
  ~SleepWatch();

  bool available() const { return presence_.available(); }
  bool answered() const { return presence_.answered(); }
  bool sleeping() const { return sleeping_; }
  bool holdsLock() const { return lock_.valid(); }
  // Whether transfers run: the lock is wanted while they do (never while about to sleep).
  void setBusy(bool busy);
  // The transfers are checkpointed after PrepareForSleep(true): the lock goes and the machine
  // may sleep.
  void readyToSleep();

 private:
  static int onPrepareForSleep(sd_bus_message* m, void* self, sd_bus_error*);
  static int onInhibitReply(sd_bus_message* m, void* self, sd_bus_error*);
  void updateLock();

  BusConnection& bus_;
  std::function<void(bool)> on_sleep_;
  BusSlot signal_match_;
  BusSlot pending_inhibit_;
  UniqueFd lock_;
  bool busy_ = false;
  bool sleeping_ = false;
  // PreparingForSleep, read only to know whether logind is there. Last: its listener uses the
  // members above.
  BusValue presence_;
};

}  // namespace ferry::device
