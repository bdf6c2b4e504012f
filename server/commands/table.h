#pragma once
// Plain-text tables for human output: left-aligned columns separated by two
// spaces, an upper-case header row. Pure function.

#include <string>
#include <vector>

namespace ms {

std::string FormatTable(const std::vector<std::string>& headers,
                        const std::vector<std::vector<std::string>>& rows);

}  // namespace ms
