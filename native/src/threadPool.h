// A small persistent thread pool for the addon's kernels: a stage on a slot with k cores runs
// its GEMMs and large element-wise loops on k threads (the caller's thread plus k-1 workers),
// without creating threads per call. Tasks are claimed from an atomic counter, so uneven tasks
// balance themselves. A call made while the pool is busy (another N-API environment in the same
// process) runs on the calling thread alone instead of waiting.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace fbw {

class ThreadPool {
 public:
  ~ThreadPool() { resize(1); }

  int threads() const { return (int)workers_.size() + 1; }

  /** Uses n threads in total (the caller counts as one); n < 1 is taken as 1. */
  void resize(int n) {
    if (n < 1) n = 1;
    std::lock_guard<std::mutex> busy(busy_);
    if (n == threads()) return;
    {
      std::lock_guard<std::mutex> g(mu_);
      stop_ = true;
      gen_++;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
    stop_ = false;
    // each worker starts from the generation current now: a job posted before the new thread
    // first takes the lock is still seen as new (reading gen_ in the thread lost that wake-up,
    // and run() then waited forever for a worker that never started the job)
    const uint64_t start = gen_;
    for (int i = 0; i < n - 1; i++) workers_.emplace_back([this, start] { loop(start); });
  }

  /** Runs fn(0..count-1) across the pool and returns when every task has finished. */
  void run(int count, const std::function<void(int)>& fn) {
    if (count <= 0) return;
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (count == 1 || workers_.empty() || !busy.owns_lock()) {
      for (int i = 0; i < count; i++) fn(i);
      return;
    }
    {
      std::lock_guard<std::mutex> g(mu_);
      job_ = &fn;
      count_ = count;
      next_.store(0);
      active_ = (int)workers_.size();
      gen_++;
    }
    wake_.notify_all();
    work();
    std::unique_lock<std::mutex> g(mu_);
    done_.wait(g, [this] { return active_ == 0; });
    job_ = nullptr;
  }

  /** Splits [0, n) into about `threads()` contiguous chunks of at least `grain` items. */
  void parallelFor(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
    const int64_t t = threads();
    int64_t chunks = grain > 0 ? std::min<int64_t>(t, (n + grain - 1) / grain) : t;
    if (chunks <= 1) {
      if (n > 0) fn(0, n);
      return;
    }
    const int64_t step = (n + chunks - 1) / chunks;
    run((int)chunks, [&](int c) {
      const int64_t b = c * step, e = std::min(n, b + step);
      if (b < e) fn(b, e);
    });
  }

 private:
  void work() {
    const std::function<void(int)>* job = job_;
    for (;;) {
      const int i = next_.fetch_add(1);
      if (i >= count_) break;
      (*job)(i);
    }
  }

  void loop(uint64_t seen) {
    for (;;) {
      {
        std::unique_lock<std::mutex> g(mu_);
        wake_.wait(g, [&] { return gen_ != seen; });
        seen = gen_;
        if (stop_) return;
      }
      work();
      std::lock_guard<std::mutex> g(mu_);
      if (--active_ == 0) done_.notify_one();
    }
  }

  std::vector<std::thread> workers_;
  std::mutex busy_;  // one job at a time
  std::mutex mu_;
  std::condition_variable wake_, done_;
  const std::function<void(int)>* job_ = nullptr;
  int count_ = 0;
  int active_ = 0;
  std::atomic<int> next_{0};
  uint64_t gen_ = 0;
  bool stop_ = false;
};

/** The addon's one pool. */
ThreadPool& pool();

}  // namespace fbw
