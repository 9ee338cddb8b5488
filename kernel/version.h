#ifndef KERNEL_VERSION_H
#define KERNEL_VERSION_H
#ifndef LGVISOR_VERSION
#define LGVISOR_VERSION "0.1"
#endif
#endif
