#ifndef SERIN_CCURL_SHIM_H
#define SERIN_CCURL_SHIM_H
#include <curl/curl.h>

/* curl_easy_setopt and curl_easy_getinfo are variadic and cannot be imported into Swift:
   one typed wrapper per argument kind. */

typedef size_t (*serin_curl_data_callback)(char *buffer, size_t size, size_t nitems, void *userdata);
typedef int (*serin_curl_xferinfo_callback)(void *clientp, curl_off_t dltotal, curl_off_t dlnow,
                                            curl_off_t ultotal, curl_off_t ulnow);

static inline CURLcode serin_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode serin_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode serin_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode serin_curl_setopt_off(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

/* For CURLOPT_WRITEFUNCTION, CURLOPT_HEADERFUNCTION and CURLOPT_READFUNCTION. */
static inline CURLcode serin_curl_setopt_data_callback(CURL *handle, CURLoption option, serin_curl_data_callback value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode serin_curl_setopt_xferinfo_callback(CURL *handle, serin_curl_xferinfo_callback value) {
    return curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, value);
}

static inline CURLcode serin_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode serin_curl_getinfo_string(CURL *handle, CURLINFO info, char **value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode serin_curl_getinfo_off(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

/* CURLVERSION_NOW is a macro alias, which Swift does not import. */
static inline curl_version_info_data *serin_curl_version_info(void) {
    return curl_version_info(CURLVERSION_NOW);
}

static inline CURLMcode serin_curl_multi_setopt_long(CURLM *handle, CURLMoption option, long value) {
    return curl_multi_setopt(handle, option, value);
}

/* For CURLOPT_CAINFO_BLOB, CURLOPT_SSLCERT_BLOB and CURLOPT_SSLKEY_BLOB: libcurl copies the bytes, so the caller's
   buffer need only live for the call. */
static inline CURLcode serin_curl_setopt_blob(CURL *handle, CURLoption option, const void *data, size_t length) {
    struct curl_blob blob;
    blob.data = (void *)data;
    blob.len = length;
    blob.flags = CURL_BLOB_COPY;
    return curl_easy_setopt(handle, option, &blob);
}

/* For CURLOPT_HTTPHEADER and CURLOPT_CONNECT_TO. */
static inline CURLcode serin_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *list) {
    return curl_easy_setopt(handle, option, list);
}

#endif
