# Enforces the dependency direction between Touchline's libraries:
#   events <- domain <- store <- projections <- api <- tools
# (store does not depend on domain; both sit on events). Each entry lists everything a library
# may link; anything else, including a third-party library a layer must not touch (RocksDB in
# domain/), fails the configure step. domain/ links Boost's headers for its containers only: the
# include check below keeps Asio and the rest out.
set(TOUCHLINE_ALLOWED_DEPS_touchline_events "nlohmann_json::nlohmann_json;simdjson::simdjson;Threads::Threads")
set(TOUCHLINE_ALLOWED_DEPS_touchline_domain "touchline_events;nlohmann_json::nlohmann_json;Boost::boost")
set(TOUCHLINE_ALLOWED_DEPS_touchline_store
    "touchline_events;nlohmann_json::nlohmann_json;RocksDB::rocksdb;OpenSSL::Crypto;PkgConfig::SODIUM;Threads::Threads")
set(TOUCHLINE_ALLOWED_DEPS_touchline_projections
    "touchline_events;touchline_domain;touchline_store;nlohmann_json::nlohmann_json;Threads::Threads")
set(TOUCHLINE_ALLOWED_DEPS_touchline_api
    "touchline_events;touchline_domain;touchline_store;touchline_projections;nlohmann_json::nlohmann_json;Boost::boost;PkgConfig::SODIUM;Threads::Threads")

foreach(lib touchline_events touchline_domain touchline_store touchline_projections touchline_api)
  get_target_property(deps ${lib} LINK_LIBRARIES)
  if(NOT deps)
    continue()
  endif()
  foreach(dep IN LISTS deps)
    if(NOT dep IN_LIST TOUCHLINE_ALLOWED_DEPS_${lib})
      message(FATAL_ERROR "layering: ${lib} may not depend on ${dep} (see cmake/layering.cmake)")
    endif()
  endforeach()
endforeach()

# domain/ does no I/O and has no clock or randomness of its own: its sources may not include the
# headers that would let it. Of Boost, only its containers (boost/unordered/: the hashed index of
# domain/id_map.h), which do none of these.
file(GLOB_RECURSE domain_sources CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/domain/*.h ${PROJECT_SOURCE_DIR}/domain/*.cc)
foreach(src IN LISTS domain_sources)
  file(STRINGS ${src} forbidden REGEX
       "#include +[<\"](rocksdb/|boost/|sodium|fstream|filesystem|chrono|random|thread|ctime|cstdio|iostream|sys/|unistd)")
  list(FILTER forbidden EXCLUDE REGEX "#include +<boost/unordered/")
  if(forbidden)
    message(FATAL_ERROR "layering: ${src} does I/O or keeps time: ${forbidden}")
  endif()
endforeach()
