// TaskManager's redirect decisions for uploads created with redirects "ask" (URLSession's
// willPerformHTTPRedirection). The engine holds the job (waiting_for "redirect-decision") and
// proposes the redirect; the attached application is asked with the transient
// willPerformHTTPRedirection event and answers with decide_redirect. A background session's
// application may be gone, so nothing waits for it forever: without an attached client the
// redirect is followed at once (as nsurlsessiond does), and so it is when the client detaches
// or does not answer within kRedirectDecisionTimeout. Nothing is stored: after a restart of
// ferryd the upload simply starts again and the server redirects it again.

#include <spdlog/spdlog.h>

#include "daemon/task_manager.hpp"

namespace ferry::daemon {

void TaskManager::onRedirectProposed(Task& t, const engine::RedirectProposed& r) {
  if (!outbox_.isAttached(t.session)) {
    spdlog::info("task {}: {} redirect to {} followed: no application attached to decide", t.id, r.status, r.location);
    return engine_.decideRedirect(t.id, true);
  }
  auto timer = std::make_shared<boost::asio::steady_timer>(io_, kRedirectDecisionTimeout);
  timer->async_wait([this, id = t.id, timer](const boost::system::error_code& ec) {
    auto it = pending_redirects_.find(id);
    if (ec || it == pending_redirects_.end() || it->second.deadline != timer) return;
    settleRedirect(id, true, "the application did not decide within " + std::to_string(kRedirectDecisionTimeout.count()) + " s");
  });
  pending_redirects_[t.id] = PendingRedirect{r, std::move(timer)};
  askForRedirectDecision(t);
}

void TaskManager::askForRedirectDecision(Task& t) {
  auto it = pending_redirects_.find(t.id);
  if (it == pending_redirects_.end()) return;
  const auto& r = it->second.proposal;
  publishTransient(t, protocol::WillPerformHTTPRedirection{r.status, r.location, r.new_method, r.keeps_body});
}

void TaskManager::settleRedirect(std::uint64_t id, bool follow, std::string_view why) {
  auto it = pending_redirects_.find(id);
  if (it == pending_redirects_.end()) return;
  it->second.deadline->cancel();
  spdlog::info("task {}: {} redirect to {} {} ({})", id, it->second.proposal.status, it->second.proposal.location,
               follow ? "followed" : "refused", why);
  pending_redirects_.erase(it);
  engine_.decideRedirect(id, follow);
}

void TaskManager::followPendingRedirects(const std::string& session) {
  std::vector<std::uint64_t> held;
  for (const auto& [id, pending] : pending_redirects_)
    if (auto* t = find(id); t != nullptr && t->session == session) held.push_back(id);
  for (auto id : held) settleRedirect(id, true, "the application detached");
}

Result<protocol::TaskInfo> TaskManager::decideRedirect(std::uint64_t id, const std::optional<std::string>& scope, bool follow) {
  auto found = findScoped(id, scope);
  if (!found) return tl::unexpected(found.error());
  if (pending_redirects_.count(id) == 0)
    return fail(errc::invalid_state, "task " + std::to_string(id) +
                                         " is not waiting for a redirect decision (it was decided already, timed out after " +
                                         std::to_string(kRedirectDecisionTimeout.count()) + " s, or the task ended)");
  settleRedirect(id, follow, "the application decided");
  return (*found)->toInfo();
}

}  // namespace ferry::daemon
