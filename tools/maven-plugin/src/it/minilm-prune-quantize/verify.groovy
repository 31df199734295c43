// The compiled model, its reports, the fingerprint and the log's summary; fidelity is checked against bounds.
import groovy.json.JsonSlurper

def log = new File(basedir, 'build.log').text
def model = new File(basedir, 'target/classes/tailor/model.onnx')
assert model.isFile() : 'no compiled model'
['md', 'html', 'json'].each { assert new File(basedir, "target/tailor/model.$it").isFile() : "no $it report" }
assert new File(basedir, 'target/tailor/model.onnx.fingerprint').isFile()

def report = new JsonSlurper().parse(new File(basedir, 'target/tailor/model.json'))
def passes = report.passes.collect { it.pass }
assert passes == ['prune', 'quantize'] : passes
// One sublayer of twelve removed: its parameters are gone, and the rest became int8.
assert report.after.parameters < report.before.parameters
// Every projection weight and the embedding tables become int8 (about a quarter of the float bytes).
assert report.after.weight_bytes < 0.3 * report.before.weight_bytes : "weights ${report.before.weight_bytes} -> ${report.after.weight_bytes}"
def output = report.outputs.find { it.name == 'last_hidden_state' }
assert output != null : 'no output metrics in the report'
assert output.cosine >= 0.9 && output.cosine < 1.0 : "token cosine ${output.cosine}"
def prune = report.passes.find { it.pass == 'prune' }.metrics
assert prune.removed.size() == 1 && prune.candidates == 12 : prune
assert prune.parameters_after < prune.parameters_before
// The block map follows each sublayer into the result: the pruned one is gone, the other eleven are int8.
def statuses = report.block_map.collectMany { b -> b.sublayers.collect { it.status } }
assert statuses.count { it == 'removed' } == 1 : statuses
assert statuses.count { it == 'quantized' } == 11 : statuses

assert log.contains('Compiling @minilm with prune(count=1) | quantize(mode=int8_dynamic) (no earlier build)')
assert log =~ /Validation on \w+, .*evaluation\.txt.*: passed/
assert log =~ /pooled cosine mean 0\.9\d+ min 0\.9\d+/  // both above the 0.9 bound
assert log =~ /Compiled @minilm to target\/classes\/tailor\/model\.onnx in [\d.]+ s: \d+ -> \d+ nodes/
assert log.contains('Reports: target/tailor/model.md, target/tailor/model.html, target/tailor/model.json')
return true
