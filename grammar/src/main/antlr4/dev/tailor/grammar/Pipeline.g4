// The pipeline language: passes with options, joined by '|' or newlines.
//   prune(ratio=0.25, metric=js) | moe(experts=8, top_k=2, blocks=6..11) | quantize(mode=int8_dynamic)
// In a file: one step per line, '#' comments, optional settings such as `target = cuda` before the steps.
// `fixpoint(max=8) { cse | dce }` repeats its steps until none of them changes the model.
grammar Pipeline;

pipeline : sep* (item (sep+ item)*)? sep* EOF ;

item     : setting | step ;

setting  : IDENT '=' value ;

step     : FIXPOINT args? NL* '{' sep* step (sep+ step)* sep* '}'   # fixpointStep
         | IDENT args?                                             # passStep
         ;

args     : '(' NL* (option (NL* ',' NL* option)* NL* ','?)? NL* ')' ;

option   : IDENT NL* '=' NL* value ;

value    : INT                                     # intValue
         | FLOAT                                   # floatValue
         | INT '..' INT?                           # rangeValue
         | IDENT                                   # wordValue
         | STRING                                  # stringValue
         | '[' NL* (value (NL* ',' NL* value)* NL* ','?)? NL* ']'   # listValue
         ;

sep      : '|' | NL ;

FIXPOINT : 'fixpoint' ;
FLOAT    : '-'? ( [0-9]+ '.' [0-9]+ EXPONENT? | [0-9]+ EXPONENT ) ;
INT      : '-'? [0-9]+ ;
IDENT    : [A-Za-z_*] [A-Za-z0-9_.*/-]* ;
STRING   : '"' ( '\\' . | ~["\\\r\n] )* '"' ;
COMMENT  : '#' ~[\r\n]* -> skip ;
NL       : '\r'? '\n' ;
WS       : [ \t]+ -> skip ;
ERROR    : . ;

fragment EXPONENT : [eE] [+-]? [0-9]+ ;
