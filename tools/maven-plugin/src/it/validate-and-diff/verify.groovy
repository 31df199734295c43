// ONNX Runtime's int8 twin passes the bounds it was given, and the diff report says what quantization changed.
import groovy.json.JsonSlurper

def log = new File(basedir, 'build.log').text
assert log =~ /Validation on \w+, .*evaluation\.txt.*: passed/
def validation = new JsonSlurper().parse(new File(basedir, 'target/tailor/all-minilm-l6-v2-q.validation.json'))
def output = validation.outputs.find { it.name == 'last_hidden_state' }
assert output.cosine >= 0.9 && output.cosine < 1.0 : "token cosine ${output.cosine}"

['md', 'html', 'json'].each { assert new File(basedir, "target/tailor/minilm-vs-q.$it").isFile() : "no $it diff" }
def diff = new JsonSlurper().parse(new File(basedir, 'target/tailor/minilm-vs-q.json'))
assert diff.before.model == '@minilm' && diff.after.model == '@minilm-q'
assert diff.op_types.any { it.op_type == 'MatMulInteger' && it.after > 0 && it.before == 0 }
assert log =~ /@minilm -> @minilm-q: \d+ -> \d+ nodes \(\d+ added, \d+ removed, \d+ changed\)/
assert log.contains('Reports: target/tailor/minilm-vs-q.md, target/tailor/minilm-vs-q.html, target/tailor/minilm-vs-q.json')
// The parameters are documented from their declarations, each with its user property (help wraps its lines).
def help = log.replaceAll(/\[INFO\]/, ' ').replaceAll(/\s+/, ' ')
assert help.contains('tailor:compile')
assert help.contains('pipeline The pipeline, inline: for example prune(count=2) | quantize(mode=int8_dynamic). User property: tailor.pipeline')
assert help.contains('force (Default: false) Compile even when the fingerprint says nothing changed. User property: tailor.force')
return true
