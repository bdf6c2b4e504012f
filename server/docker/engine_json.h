#pragma once
// The Engine API's JSON, read into engine_types.h and written from them. The
// only place that knows Docker's field names. Parsing never throws: a missing
// or mistyped member reads as empty (the engine leaves out what is not set).
// Pure functions, any thread.

#include <vector>

#include <nlohmann/json.hpp>

#include "server/docker/engine_types.h"

namespace ms::engine {

ServiceInfo ParseService(const nlohmann::json& service);
TaskInfo ParseTask(const nlohmann::json& task);
NodeInfo ParseNode(const nlohmann::json& node);
ContainerInfo ParseContainer(const nlohmann::json& container);
ContainerSummary ParseContainerSummary(const nlohmann::json& container);
ImageInfo ParseImage(const nlohmann::json& image);
EngineInfo ParseEngineInfo(const nlohmann::json& info);
SwarmInfo ParseSwarm(const nlohmann::json& swarm);
// GET /networks/{id}: its labels.
Labels ParseNetworkLabels(const nlohmann::json& network);

// Each element of a JSON array parsed with parse; not an array: none.
template <typename T, typename F>
std::vector<T> ParseList(const nlohmann::json& list, F parse) {
  std::vector<T> out;
  if (!list.is_array()) return out;
  for (const auto& item : list) out.push_back(parse(item));
  return out;
}

// A string member of a JSON answer ({"Id": "..."}); "" when it is not there.
std::string StringMember(const std::string& body, const char* key);

// The ServiceSpec document of POST /services/create and /services/{id}/update.
nlohmann::json ServiceSpecJson(const ServiceSpec& spec);
// The filters query parameter's JSON.
nlohmann::json FiltersJson(const EngineFilters& filters);

}  // namespace ms::engine
