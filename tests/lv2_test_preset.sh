# lv2_test_preset.sh: sourced by the plugin host tests. make_test_preset
# DIR MAKER URI writes an LV2 preset bundle into DIR (urn:drift:presets:test:
# seed 77, 4 steps) whose model is a tiny test model made by MAKER
# (test_plugin --make-model). Returns non-zero if the model could not be made.
make_test_preset() {
    dir=$1 maker=$2 uri=$3
    mkdir -p "$dir"
    "$maker" --make-model "$dir/test.safetensors" || return 1
    cat > "$dir/manifest.ttl" <<TTL
@prefix lv2:  <http://lv2plug.in/ns/lv2core#> .
@prefix pset: <http://lv2plug.in/ns/ext/presets#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<urn:drift:presets:test> a pset:Preset ;
	lv2:appliesTo <$uri#instrument> ;
	rdfs:seeAlso <test.ttl> .
TTL
    cat > "$dir/test.ttl" <<TTL
@prefix lv2:   <http://lv2plug.in/ns/lv2core#> .
@prefix pset:  <http://lv2plug.in/ns/ext/presets#> .
@prefix rdfs:  <http://www.w3.org/2000/01/rdf-schema#> .
@prefix state: <http://lv2plug.in/ns/ext/state#> .
<urn:drift:presets:test> a pset:Preset ;
	lv2:appliesTo <$uri#instrument> ;
	rdfs:label "drift test" ;
	lv2:port [ lv2:symbol "seed" ; pset:value 77.0 ] , [ lv2:symbol "steps" ; pset:value 4.0 ] ;
	state:state [ <$uri#model> <test.safetensors> ] .
TTL
}
