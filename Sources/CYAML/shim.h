#ifndef SERIN_CYAML_SHIM_H
#define SERIN_CYAML_SHIM_H
#include <yaml.h>
#endif
