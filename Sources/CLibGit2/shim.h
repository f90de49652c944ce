#ifndef SERIN_CLIBGIT2_SHIM_H
#define SERIN_CLIBGIT2_SHIM_H
#include <git2.h>

/* git_libgit2_opts is variadic and cannot be imported into Swift: one typed wrapper per option Serin sets. */

static inline int serin_git_get_owner_validation(int *enabled) {
    return git_libgit2_opts(GIT_OPT_GET_OWNER_VALIDATION, enabled);
}

static inline int serin_git_set_owner_validation(int enabled) {
    return git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, enabled);
}

static inline int serin_git_set_ssl_cert_locations(const char *file, const char *path) {
    return git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, file, path);
}

static inline int serin_git_set_user_agent(const char *user_agent) {
    return git_libgit2_opts(GIT_OPT_SET_USER_AGENT, user_agent);
}

#endif
