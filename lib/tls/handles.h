// RAII over OpenSSL handles: each type is wrapped once here, so nothing in
// Buzón calls SSL_free, X509_free or EVP_PKEY_free by hand.
#pragma once
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace buzon::tls {

template <class T, void (*Free)(T*)>
struct CFree {
  void operator()(T* p) const noexcept { Free(p); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, CFree<SSL_CTX, SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, CFree<SSL, SSL_free>>;
using SessionPtr = std::unique_ptr<SSL_SESSION, CFree<SSL_SESSION, SSL_SESSION_free>>;
using X509Ptr = std::unique_ptr<X509, CFree<X509, X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, CFree<EVP_PKEY, EVP_PKEY_free>>;
using BioPtr = std::unique_ptr<BIO, CFree<BIO, BIO_free_all>>;
using X509NamePtr = std::unique_ptr<X509_NAME, CFree<X509_NAME, X509_NAME_free>>;

}  // namespace buzon::tls
