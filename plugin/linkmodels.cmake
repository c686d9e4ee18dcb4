# linkmodels.cmake: links the preset models that exist in presets/ into the
# build tree's drift.lv2 (run at build time: cmake -DMODELS=a|b -DBUNDLE=dir -P).
string(REPLACE "|" ";" MODELS "${MODELS}")
foreach(m ${MODELS})
  get_filename_component(name ${m} NAME)
  if(EXISTS ${m} AND NOT EXISTS ${BUNDLE}/${name})
    file(CREATE_LINK ${m} ${BUNDLE}/${name} SYMBOLIC)
  endif()
endforeach()
