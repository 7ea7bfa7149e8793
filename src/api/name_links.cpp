// SPDX-License-Identifier: Apache-2.0
#include <compactor/beacon/name_links.hpp>
#include <compactor/beacon/names.hpp>
#include <compactor/context.hpp>
#include <compactor/dispatch.hpp>
#include <compactor/process.hpp>

#include "core/logging.hpp"

#include <atomic>
#include <set>

namespace compactor::beacon {

// The process that holds the links: one per NameLinks, with a fresh id in its context.
class NameLinks::Linker : public Process {
 public:
  explicit Linker(Names& names) : Process(fresh_id()), names_(names) {}

  // Runs on this process (dispatched from the names' thread).
  void follow(const PID& holder) {
    if (followed_.contains(holder)) return;
    if (followed_.size() >= kMostFollowed) {
      if (!std::exchange(said_full_, true)) {
        core::log().warn("{}: following {} holders already; not linking to more", self().id,
                         kMostFollowed);
      }
      return;
    }
    followed_.insert(holder);
    link(holder);
  }

 protected:
  void exited(const PID& holder) override {
    followed_.erase(holder);
    names_.forget(holder);
  }

 private:
  static constexpr std::size_t kMostFollowed = 10'000;

  static std::string fresh_id() {
    static std::atomic<std::uint64_t> count{0};
    return "__name_links__(" + std::to_string(++count) + ")";
  }

  Names& names_;
  std::set<PID> followed_;
  bool said_full_ = false;
};

NameLinks::NameLinks(Names& names, Context& context)
    : linker_(std::make_unique<Linker>(names)), names_(names), context_(context) {
  const PID linker = context_.spawn(*linker_);
  watch_ = names_.watch_all([linker](const NameEvent& event) {
    if (event.holder) dispatch(linker, &Linker::follow, event.holder->pid);
  });
}

NameLinks::~NameLinks() {
  names_.unwatch(watch_);
  context_.terminate(linker_->self());
  context_.wait(linker_->self());
}

}  // namespace compactor::beacon
