// The main() of the per-room link checks (CMakeLists.txt, rpdns_room): the
// room's objects are linked whole around it, so any symbol they use from a
// room they may not use is an undefined reference.
int main() { return 0; }
