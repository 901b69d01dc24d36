// Work on every core for the replays that read the whole log (verify, rebuild): decoding and
// checking events are pure functions of each event, so a batch of them spreads over the cores.
#pragma once

#include <cstddef>
#include <functional>

namespace touchline {

// Calls fn(i) once for every i in [0, n), on the calling thread and up to one helper thread per
// further core (at most 8 threads in all), each taking the next few indexes as it comes free;
// returns when every call has returned. Below `parallel_from` indexes it calls them all on the
// calling thread (starting threads would cost more than it saves). What a call throws is
// rethrown on the calling thread once every thread has stopped (the first, if several do); the
// indexes after it may or may not have been called. When no thread can be started, the threads
// it has (at least the calling one) do all the work. fn must be safe to call from several threads
// at once for different indexes.
void for_each_index_in_parallel(std::size_t n, const std::function<void(std::size_t)>& fn,
                                std::size_t parallel_from = 256);

}  // namespace touchline
