# Fails when docs/roles.md is not what `touchline roles-doc` prints from the role models.
execute_process(COMMAND ${TOOL} roles-doc OUTPUT_VARIABLE generated RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "touchline roles-doc failed (${rc})")
endif()
file(READ ${DOC} committed)
if(NOT generated STREQUAL committed)
  message(FATAL_ERROR "docs/roles.md is stale; regenerate it with: build/tools/touchline roles-doc > docs/roles.md")
endif()
