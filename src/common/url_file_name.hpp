#pragma once
// The file name a URL suggests: its last path segment, made safe to be one name in a directory.
// ferryd names delivered files by it; ferryctl saves a download under it when no -o is given.

#include <string>
#include <string_view>

namespace ferry::urls {

// The last segment of the URL's path (query and fragment ignored), with every character but
// [A-Za-z0-9._-] replaced by '_' and cut to 100 characters; `fallback` when that leaves nothing
// usable ("", ".", ".."). Never contains '/', so it cannot leave the directory it is put in.
std::string fileNameOf(std::string_view url, std::string_view fallback);

}  // namespace ferry::urls
