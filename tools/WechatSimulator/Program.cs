// placeholder, replaced by the simulator work
return 0;
