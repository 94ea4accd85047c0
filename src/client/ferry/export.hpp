#pragma once
// FERRY_EXPORT marks what libferry.so exports. The library is built with -fvisibility=hidden and
// -fvisibility-inlines-hidden (docs/architecture.md, "What is public and installed"), so a class or
// function of the public API is reachable from an application only with this mark; everything else
// (the protocol, the engine, the libraries they use) stays inside the library. With the static
// archive the mark changes nothing.

#if defined(__GNUC__) || defined(__clang__)
#define FERRY_EXPORT __attribute__((visibility("default")))
#else
#define FERRY_EXPORT
#endif
