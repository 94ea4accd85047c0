#pragma once
// POST /users, POST/DELETE/GET /sessions, POST /tokens, DELETE /tokens/ID.

#include <memory>
#include <optional>
#include <string>

#include "access.hpp"
#include "app.hpp"
#include "http_types.hpp"

namespace vf {

std::unique_ptr<RequestHandler> makeCreateUser(App& app, std::optional<Identity> caller);
std::unique_ptr<RequestHandler> makeLogin(App& app, std::string peer_address);
std::unique_ptr<RequestHandler> makeCreateToken(App& app, Identity who);
Response logout(App& app, const Identity& who);
Response currentSession(const Identity& who);
Response deleteToken(App& app, const Identity& who, const std::string& token_id);

// For --create-user: an administrator with this name and password. An error says why not.
ferry::Result<void> createFirstUser(AccountCatalog& accounts, const std::string& name, const std::string& password);

}  // namespace vf
