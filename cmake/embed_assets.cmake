# Writes OUTPUT, a C++ file defining knob::DashboardAsset(name) over the files of
# ASSET_DIR (launcher/dashboard/assets) as raw string literals. Run by the build (cmake -P),
# so an edited asset is embedded again.
set(body "// Generated from launcher/dashboard/assets by cmake/embed_assets.cmake; do not edit.\n")
string(APPEND body "#include \"launcher/dashboard/dashboard_assets.h\"\n\nnamespace knob {\n\n")
string(APPEND body "std::string_view DashboardAsset(std::string_view name) {\n")
foreach(name index.html dashboard.js dashboard.css)
  set(asset "${ASSET_DIR}/${name}")
  file(READ "${asset}" text)
  string(FIND "${text}" ")knob_asset\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${asset} holds the raw string's closing delimiter")
  endif()
  string(APPEND body "  if (name == \"${name}\") return R\"knob_asset(${text})knob_asset\";\n")
endforeach()
string(APPEND body "  return {};\n}\n\n}  // namespace knob\n")
file(WRITE "${OUTPUT}" "${body}")
