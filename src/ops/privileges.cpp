#include "ops/privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace rpdns::ops {

std::string drop_privileges(const std::string& user, const std::string& group) {
  const passwd* pw = getpwnam(user.c_str());
  if (pw == nullptr) return "no such user '" + user + "'";
  uid_t uid = pw->pw_uid;
  gid_t gid = pw->pw_gid;
  if (!group.empty()) {
    const struct group* gr = getgrnam(group.c_str());
    if (gr == nullptr) return "no such group '" + group + "'";
    gid = gr->gr_gid;
  }
  if (getuid() == uid && geteuid() == uid) return "";  // already there
  // Order matters: groups and gid while we still may, the uid last.
  if (setgroups(1, &gid) != 0) return std::string("setgroups: ") + std::strerror(errno);
  if (setgid(gid) != 0) return std::string("setgid: ") + std::strerror(errno);
  if (setuid(uid) != 0) return std::string("setuid: ") + std::strerror(errno);
  // Make sure there is no way back.
  if (uid != 0 && (setuid(0) == 0 || geteuid() == 0)) return "still able to regain root after setuid";
  return "";
}

}  // namespace rpdns::ops
