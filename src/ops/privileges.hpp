// Least privilege: after every socket is bound, switch to an unprivileged
// user. Changing the uid away from 0 also clears every capability.
#pragma once

#include <string>

namespace rpdns::ops {

// Switches to `user` (and `group`, or the user's own group when empty).
// Returns an empty string on success, else what went wrong; the caller
// must then not keep running.
std::string drop_privileges(const std::string& user, const std::string& group);

}  // namespace rpdns::ops
